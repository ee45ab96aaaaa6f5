package guest

import (
	"bytes"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// logPump copies new /dev/kmsg records ("kmsg: ") and trace_pipe lines
// ("trace: ") to the console. Both are read non-blocking, by a poller every
// 50 ms and by drain, so the caller can flush them at known points (after a
// module load, after the command exits).
type logPump struct {
	mu       sync.Mutex
	con      *console
	kmsg     int
	trace    int
	tracebuf []byte
	quit     chan struct{}
}

func newLogPump(con *console, trace bool) *logPump {
	p := &logPump{con: con, kmsg: -1, trace: -1, quit: make(chan struct{})}
	fd, err := unix.Open("/dev/kmsg", unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		con.logf("warning: no kernel log: open /dev/kmsg: %v", err)
	} else {
		// only records from now on: boot messages are on the console already
		unix.Seek(fd, 0, unix.SEEK_END)
		p.kmsg = fd
	}
	if trace {
		fd, err := unix.Open("/sys/kernel/tracing/trace_pipe", unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if err != nil {
			con.logf("warning: no bpf_printk output: open trace_pipe: %v", err)
		} else {
			p.trace = fd
		}
	}
	go func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.quit:
				return
			case <-t.C:
				p.drain()
			}
		}
	}()
	return p
}

func (p *logPump) stop() {
	close(p.quit)
	p.drain()
}

// drain prints everything readable now.
func (p *logPump) drain() {
	p.mu.Lock()
	defer p.mu.Unlock()
	buf := make([]byte, 16*1024)
	for p.kmsg >= 0 {
		n, err := unix.Read(p.kmsg, buf)
		if err == unix.EPIPE || err == unix.EINTR { // records were overwritten; go on
			continue
		}
		if err != nil || n <= 0 {
			break
		}
		if msg, ok := kmsgText(buf[:n]); ok {
			p.con.line("kmsg: " + msg)
		}
	}
	for p.trace >= 0 {
		n, err := unix.Read(p.trace, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			break
		}
		p.tracebuf = append(p.tracebuf, buf[:n]...)
		for {
			i := bytes.IndexByte(p.tracebuf, '\n')
			if i < 0 {
				break
			}
			if l := strings.TrimSpace(string(p.tracebuf[:i])); l != "" {
				p.con.line("trace: " + l)
			}
			p.tracebuf = p.tracebuf[i+1:]
		}
	}
}

// kmsgText returns the message of one /dev/kmsg record
// ("PRIO,SEQ,USEC,FLAGS;message\n KEY=value\n...").
func kmsgText(rec []byte) (string, bool) {
	i := bytes.IndexByte(rec, ';')
	if i < 0 {
		return "", false
	}
	msg := rec[i+1:]
	if j := bytes.IndexByte(msg, '\n'); j >= 0 {
		msg = msg[:j]
	}
	return string(msg), true
}
