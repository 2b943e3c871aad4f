package interop

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Single Logout runs a peer's SLO script (peers/*-slo.py) as a conversation over stdio:
// the peer prints a message (a redirect URL, or "ready"), reads ours from stdin, prints
// its answer. The peer library builds, signs, parses and checks every message itself.

// SLO script names in the peers directory.
const (
	SLOScriptPySAML2 = "pysaml2-slo.py"
	SLOScriptLasso   = "lasso-slo.py"
)

// SLOSession is one running SLO script.
type SLOSession struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	stderr *lockedBuffer
	cancel context.CancelFunc
	// release, when set, runs once at Wait (SimpleSAMLphp: the server is free again).
	release func()
	waited  sync.Once
	waitErr error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// StartSLO starts script (one of the SLOScript… names) from dir with args.
func StartSLO(ctx context.Context, dir, script string, args ...string) (*SLOSession, error) {
	return startSLO(ctx, nil, python, append([]string{filepath.Join(dir, script)}, args...)...)
}

func startSLO(ctx context.Context, env []string, name string, args ...string) (*SLOSession, error) {
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(append(cmd.Environ(), "PYTHONDONTWRITEBYTECODE=1"), env...)
	s := &SLOSession{cmd: cmd, stderr: &lockedBuffer{}, cancel: cancel}
	cmd.Stderr = s.stderr
	cmd.WaitDelay = 5 * time.Second
	var err error
	if s.in, err = cmd.StdinPipe(); err != nil {
		cancel()
		return nil, err
	}
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, err
	}
	s.out = bufio.NewReaderSize(pipe, 1<<20)
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, err
	}
	return s, nil
}

// ReadLine returns the peer's next message, or why there is none (with its stderr).
func (s *SLOSession) ReadLine() (string, error) {
	line, err := s.out.ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("interop: the peer said nothing more (%v): %s", err, s.Wait())
	}
	return strings.TrimSpace(line), nil
}

// WriteLine sends the peer our message.
func (s *SLOSession) WriteLine(msg string) error {
	_, err := io.WriteString(s.in, msg+"\n")
	return err
}

// Wait ends the conversation and returns the script's failure, with its stderr, or nil.
func (s *SLOSession) Wait() error {
	s.waited.Do(func() {
		defer s.cancel()
		_ = s.in.Close()
		_, _ = io.Copy(io.Discard, s.out)
		if err := s.cmd.Wait(); err != nil {
			s.waitErr = fmt.Errorf("%s: %w\n%s", filepath.Base(s.cmd.Args[1]), err, tail(s.stderr.String(), 2000))
		}
		if s.release != nil {
			s.release()
		}
	})
	return s.waitErr
}

// Stderr is what the script has written to stderr so far.
func (s *SLOSession) Stderr() string { return s.stderr.String() }
