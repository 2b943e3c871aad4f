package certs

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCheckExpiryTellsAdminsWhenToRotate(t *testing.T) {
	c := testKeyPair(t).Certificate
	const window = 30 * 24 * time.Hour
	day := 24 * time.Hour
	tests := []struct {
		name string
		now  time.Time
		kind error // nil: no error
		says string
	}{
		{"valid, far from the end", c.NotBefore.Add(day), nil, ""},
		{"valid exactly at NotBefore", c.NotBefore, nil, ""},
		{"valid until just outside the window", c.NotAfter.Add(-window - time.Second), nil, ""},
		{"expires within the window", c.NotAfter.Add(-10 * day), ErrExpiresSoon, "expires on " + c.NotAfter.Format(time.DateOnly) + ", in 10 days"},
		{"expires within a day", c.NotAfter.Add(-time.Hour), ErrExpiresSoon, "in less than a day"},
		{"valid exactly at NotAfter", c.NotAfter, ErrExpiresSoon, "expires on"},
		{"expired", c.NotAfter.Add(3 * day), ErrExpired, "expired on " + c.NotAfter.Format(time.DateOnly) + ", 3 days ago"},
		{"not yet valid", c.NotBefore.Add(-time.Minute), ErrNotYetValid, "check this server's clock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckExpiry(c, tt.now, window)
			if tt.kind == nil {
				if err != nil {
					t.Fatalf("unexpected %v", err)
				}
				return
			}
			if !errors.Is(err, tt.kind) {
				t.Fatalf("error %v, want %v", err, tt.kind)
			}
			if !strings.Contains(err.Error(), tt.says) || !strings.Contains(err.Error(), Thumbprint(c)) {
				t.Errorf("error %q does not say %q and name the thumbprint", err, tt.says)
			}
		})
	}
}

func TestCheckExpiryOfNothingIsAnError(t *testing.T) {
	if err := CheckExpiry(nil, testNow, 0); !errors.Is(err, ErrEmpty) {
		t.Errorf("CheckExpiry(nil): %v, want ErrEmpty", err)
	}
}
