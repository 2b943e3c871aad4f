// Package pgtest runs a real PostgreSQL server for tests: a fresh cluster in a
// temporary directory, listening on a random loopback port only, stopped and removed
// when the test ends.
//
// The server binaries are looked up on PATH, then in /usr/lib/postgresql/*/bin (Debian's
// postgresql package). Tests skip (saying how to install it) only when they are absent,
// and not even then under CI (see internal/testenv); every other failure to start is a
// test failure. PostgreSQL refuses to run as root: as root, the cluster belongs to the
// postgres user and the binaries run through runuser.
package pgtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ssokit/saml/internal/testenv"
)

// Server is one running PostgreSQL cluster; its superuser is "postgres", trusted on
// loopback without a password.
type Server struct {
	Port int
	// Startup is how long initdb plus the server start took.
	Startup time.Duration

	t      testing.TB
	bin    string
	dir    string
	runAs  string // "postgres" when running as root, else ""
	nextDB atomic.Int64
}

// Start initializes a cluster and starts its server; t's cleanup stops it.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := findBin()
	if bin == "" {
		testenv.Missing(t, "PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install -y postgresql")
		return nil
	}
	began := time.Now()
	s := &Server{t: t, bin: bin}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	s.dir = dir
	t.Cleanup(func() { os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		s.runAs = "postgres"
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("pgtest: running as root needs a postgres user (the postgresql package creates it): %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatalf("pgtest: %v", err)
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := s.run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"); err != nil {
		t.Fatalf("pgtest: initdb: %v\n%s", err, out)
	}
	var lastErr error
	for range 5 { // a port found free may be taken before the server binds it
		s.Port, err = freePort()
		if err != nil {
			t.Fatalf("pgtest: no free loopback port: %v", err)
		}
		opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50", s.Port, dir)
		out, err := s.run("pg_ctl", "start", "-w", "-t", "60", "-D", data, "-l", filepath.Join(dir, "log"), "-o", opts)
		if err == nil {
			lastErr = nil
			break
		}
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		lastErr = fmt.Errorf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	if lastErr != nil {
		t.Fatalf("pgtest: %v", lastErr)
	}
	t.Cleanup(func() {
		if out, err := s.run("pg_ctl", "stop", "-w", "-m", "immediate", "-D", data); err != nil {
			t.Errorf("pgtest: pg_ctl stop: %v\n%s", err, out)
		}
	})
	s.Startup = time.Since(began)
	return s
}

// DSN returns a connection string for database db (as the superuser, over TCP).
func (s *Server) DSN(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.Port, db)
}

// NewDatabaseName returns a name not yet given out by this server, for CREATE DATABASE.
func (s *Server) NewDatabaseName() string {
	return fmt.Sprintf("test%d", s.nextDB.Add(1))
}

func (s *Server) run(name string, args ...string) ([]byte, error) {
	path := filepath.Join(s.bin, name)
	var cmd *exec.Cmd
	if s.runAs != "" {
		cmd = exec.Command("runuser", append([]string{"-u", s.runAs, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = s.dir
	return cmd.CombinedOutput()
}

func findBin() string {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if _, err := os.Stat(filepath.Join(filepath.Dir(p), "initdb")); err == nil {
			return filepath.Dir(p)
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Sort(sort.Reverse(sort.StringSlice(dirs))) // newest major version first (by name)
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d
		}
	}
	return ""
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
