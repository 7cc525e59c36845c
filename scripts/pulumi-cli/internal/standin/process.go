package standin

import (
	"context"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// StopGrace is how long a build or program gets between SIGINT and SIGKILL when its run is cancelled or the host
// is stopped.
const StopGrace = 5 * time.Second

// children are the builds and programs a host is running, and the temporary directories it made for them, so
// that they end with it.
var children = struct {
	sync.Mutex
	running map[*exec.Cmd]struct{}
	tmpDirs map[string]struct{}
}{running: map[*exec.Cmd]struct{}{}, tmpDirs: map[string]struct{}{}}

// RunChild runs cmd to its end, registered so that the host's end ends it too. When ctx is cancelled the child
// gets SIGINT, then SIGKILL after grace (at once when grace is 0).
func RunChild(ctx context.Context, cmd *exec.Cmd, grace time.Duration) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	children.Lock()
	children.running[cmd] = struct{}{}
	children.Unlock()
	defer func() {
		children.Lock()
		delete(children.running, cmd)
		children.Unlock()
	}()
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-done:
		case <-ctx.Done():
			if grace > 0 {
				_ = cmd.Process.Signal(syscall.SIGINT)
			}
			select {
			case <-done:
			case <-time.After(grace):
				_ = cmd.Process.Kill()
			}
		}
	}()
	return cmd.Wait()
}

// StopAll interrupts every child, kills those still running after StopGrace, and removes the temporary
// directories.
func StopAll() {
	children.Lock()
	running := make([]*exec.Cmd, 0, len(children.running))
	for cmd := range children.running {
		running = append(running, cmd)
	}
	children.Unlock()
	for _, cmd := range running {
		_ = cmd.Process.Signal(syscall.SIGINT)
	}
	deadline := time.Now().Add(StopGrace)
	for time.Now().Before(deadline) {
		children.Lock()
		n := len(children.running)
		children.Unlock()
		if n == 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	KillAll()
}

// KillAll kills every child at once and removes the temporary directories.
func KillAll() {
	children.Lock()
	defer children.Unlock()
	for cmd := range children.running {
		_ = cmd.Process.Kill()
	}
	for dir := range children.tmpDirs {
		_ = os.RemoveAll(dir)
	}
}

// MakeTempDir makes a temporary directory that the host's end removes if RemoveTempDir has not.
func MakeTempDir(pattern string) (string, error) {
	dir, err := os.MkdirTemp("", pattern)
	if err != nil {
		return "", err
	}
	children.Lock()
	children.tmpDirs[dir] = struct{}{}
	children.Unlock()
	return dir, nil
}

// RemoveTempDir removes a directory made by MakeTempDir.
func RemoveTempDir(dir string) {
	_ = os.RemoveAll(dir)
	children.Lock()
	delete(children.tmpDirs, dir)
	children.Unlock()
}
