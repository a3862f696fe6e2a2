package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// FindChromium returns the path of a Chromium binary (Debian's chromium).
func FindChromium() (string, error) {
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	return "", errors.New("chromium not found (apt-get install chromium)")
}

// Headless opens a local file in headless Chromium with background
// networking off, writes a screenshot when shot is set, and returns the
// DOM after scripts ran plus every console line reporting a request the
// page's Content-Security-Policy blocked (there should be none).
func Headless(ctx context.Context, bin, file, shot string) (dom string, violations []string, err error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return "", nil, err
	}
	profile, err := os.MkdirTemp("", "xiaowei-chromium-")
	if err != nil {
		return "", nil, err
	}
	defer os.RemoveAll(profile)
	common := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--no-first-run", "--disable-extensions", "--enable-logging=stderr", "--v=0",
		"--user-data-dir=" + profile, "--window-size=1280,2000"}
	runIt := func(extra ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, bin, append(append(common, extra...), "file://"+abs)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("chromium: %w\n%s", err, stderr.String())
		}
		for _, line := range strings.Split(stderr.String(), "\n") {
			if strings.Contains(line, "Content Security Policy") {
				violations = append(violations, line)
			}
		}
		return out, nil
	}
	if shot != "" {
		if _, err := runIt("--screenshot=" + shot); err != nil {
			return "", violations, err
		}
	}
	out, err := runIt("--dump-dom")
	return string(out), violations, err
}
