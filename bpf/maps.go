package bpf

// The maps the programs of an implementation declare (sasm.NewMap,
// sasm.NewRingBuf): found in the programs' instructions, added to the
// CollectionSpec by Spec, created by Load before the programs (so a map the
// kernel refuses is reported alone and nothing is left loaded), shared with
// a previous implementation (Options.MapsFrom) or a bpffs directory
// (Options.PinDir), and read and written with their Go types (MapOf,
// RingBufOf).

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"golang.org/x/sys/unix"

	sasm "github.com/structops/structops-gen/asm"
)

// DeclaredMaps returns the maps the programs refer to (through instructions
// built by a sasm.MapDef's methods), by name. Two different declarations
// under one name are an error naming both programs.
func DeclaredMaps(progs map[string]asm.Instructions) (map[string]*sasm.MapDef, error) {
	defs := map[string]*sasm.MapDef{}
	where := map[string]string{}
	for _, prog := range sortedKeys(progs) {
		for _, ins := range progs[prog] {
			d, ok := sasm.MapDefOf(ins)
			if !ok {
				continue
			}
			if prev, ok := defs[d.Name]; ok {
				if prev != d && !sameShape(prev, d) {
					return nil, fmt.Errorf("program %s: map %s is declared twice with different shapes (%s in %s, %s here): give one of them another name",
						prog, d.Name, shape(prev), where[d.Name], shape(d))
				}
				continue
			}
			if err := d.Check(); err != nil {
				return nil, fmt.Errorf("program %s: %w", prog, err)
			}
			defs[d.Name], where[d.Name] = d, prog
		}
	}
	return defs, nil
}

func sameShape(a, b *sasm.MapDef) bool {
	return a.Type == b.Type && a.KeySize == b.KeySize && a.ValueSize == b.ValueSize && a.MaxEntries == b.MaxEntries && a.Flags == b.Flags
}

// shape describes a map for messages: "PerCPUArray, 16 entries, 4-byte keys, 8-byte values".
func shape(d *sasm.MapDef) string {
	if d.Type == ebpf.RingBuf {
		return fmt.Sprintf("RingBuf of %d bytes, %d-byte events", d.MaxEntries, d.ValueSize)
	}
	s := fmt.Sprintf("%s, %d entries, %d-byte keys, %d-byte values", d.Type, d.MaxEntries, d.KeySize, d.ValueSize)
	if d.Flags != 0 {
		s += fmt.Sprintf(", flags %#x", d.Flags)
	}
	return s
}

// mapSpec is the MapSpec of a declared map.
func mapSpec(d *sasm.MapDef) *ebpf.MapSpec {
	ms := &ebpf.MapSpec{Name: d.Name, Type: d.Type, KeySize: d.KeySize, ValueSize: d.ValueSize, MaxEntries: d.MaxEntries, Flags: d.Flags}
	if d.Type == ebpf.RingBuf {
		ms.ValueSize = 0 // the kernel's ring buffer has no values: ValueSize is the event's size for the helpers
	}
	return ms
}

// addDeclaredMaps adds the maps the linked programs declare to spec. Spec
// calls it.
func addDeclaredMaps(ops *Ops, spec *ebpf.CollectionSpec, linked map[string]asm.Instructions, opts *Options) error {
	defs, err := DeclaredMaps(linked)
	if err != nil {
		return err
	}
	for _, name := range sortedKeys(defs) {
		taken := name == ops.Name || name == sasm.RodataMap
		if opts != nil {
			_, extra := opts.Maps[name]
			taken = taken || extra
		}
		if taken {
			return fmt.Errorf("map %s: the name is taken by the struct_ops map, the strings or Options.Maps: rename it", name)
		}
		spec.Maps[name] = mapSpec(defs[name])
	}
	return nil
}

// implMaps are the declared maps of a loaded implementation, owned by it.
type implMaps struct {
	defs map[string]*sasm.MapDef
	maps map[string]*ebpf.Map
	// created: made by this load (not taken from MapsFrom or a pin), so
	// pinned by it under PinDir
	created map[string]bool
}

// createMaps creates the declared maps of spec (or takes them from
// opts.MapsFrom or opts.PinDir) before the programs are loaded. On error
// every map made so far is closed. Load calls it and passes the result as
// the collection's MapReplacements.
func createMaps(spec *ebpf.CollectionSpec, opts *Options) (*implMaps, error) {
	progs := make(map[string]asm.Instructions, len(spec.Programs))
	for name, p := range spec.Programs {
		progs[name] = p.Instructions
	}
	defs, err := DeclaredMaps(progs)
	if err != nil {
		return nil, err
	}
	if opts != nil && opts.MapsFrom != nil && opts.MapsFrom.coll == nil {
		return nil, fmt.Errorf("Options.MapsFrom: the implementation whose maps to share is closed: keep it loaded until the next one is")
	}
	im := &implMaps{defs: defs, maps: map[string]*ebpf.Map{}, created: map[string]bool{}}
	for _, name := range sortedKeys(defs) {
		m, created, err := openMap(defs[name], spec.Maps[name], opts)
		if err != nil {
			im.close()
			return nil, err
		}
		im.maps[name], im.created[name] = m, created
	}
	return im, nil
}

// openMap returns the map of d: the previous implementation's, the pinned
// one, or a new one.
func openMap(d *sasm.MapDef, ms *ebpf.MapSpec, opts *Options) (m *ebpf.Map, created bool, err error) {
	if opts != nil && opts.MapsFrom != nil && opts.MapsFrom.maps != nil {
		if prev := opts.MapsFrom.maps.maps[d.Name]; prev != nil {
			if err := ms.Compatible(prev); err != nil {
				return nil, false, fmt.Errorf("map %s: the previous implementation's map has another shape (%v): declare it as before, or rename it to start a new map", d.Name, err)
			}
			m, err := prev.Clone()
			if err != nil {
				return nil, false, fmt.Errorf("map %s: share the previous implementation's map: %w", d.Name, err)
			}
			return m, false, nil
		}
	}
	if opts != nil && opts.PinDir != "" {
		path := filepath.Join(opts.PinDir, d.Name)
		if _, err := os.Stat(path); err == nil {
			m, err := ebpf.LoadPinnedMap(path, nil)
			if err != nil {
				return nil, false, fmt.Errorf("map %s: open the pinned %s: %w", d.Name, path, permissionHint(err))
			}
			if err := ms.Compatible(m); err != nil {
				m.Close()
				return nil, false, fmt.Errorf("map %s: the map pinned at %s has another shape (%v): remove the pin (rm %s) or declare it as before", d.Name, path, err, path)
			}
			return m, false, nil
		}
	}
	m, err = ebpf.NewMapWithOptions(ms, ebpf.MapOptions{})
	if err != nil {
		return nil, false, mapError(d, err)
	}
	return m, true, nil
}

// mapError turns the kernel's refusal of a map into one line naming the
// map, its size and the limit.
func mapError(d *sasm.MapDef, err error) error {
	what := fmt.Sprintf("map %s (%s, about %s)", d.Name, shape(d), bytesString(mapBytes(d)))
	switch {
	case errors.Is(err, ebpf.ErrNotSupported):
		return fmt.Errorf("%s: this kernel does not support %s maps: %w", what, d.Type, err)
	case errors.Is(err, unix.EPERM), errors.Is(err, unix.EACCES):
		return fmt.Errorf("%s: permission denied: run as root or with CAP_BPF: %w", what, err)
	case errors.Is(err, unix.E2BIG):
		return fmt.Errorf("%s: too large for the kernel (keys at most 512 bytes, per-CPU values at most 32 KiB, an array at most 2^31 entries, an entry at most about 4 MiB): declare fewer entries or smaller values: %w", what, err)
	case errors.Is(err, unix.ENOMEM):
		return fmt.Errorf("%s: the kernel could not allocate it (memory, or the cgroup's memory limit): declare fewer entries or smaller values: %w", what, err)
	case errors.Is(err, unix.EINVAL):
		return fmt.Errorf("%s: the kernel refused its kind, sizes or flags %#x (unknown on this kernel?): %w", what, d.Flags, err)
	}
	return fmt.Errorf("%s: create: %w", what, err)
}

// mapBytes estimates the kernel memory of a map: entries times rounded
// key and value (each CPU's value for per-CPU kinds).
func mapBytes(d *sasm.MapDef) uint64 {
	if d.Type == ebpf.RingBuf {
		return uint64(d.MaxEntries)
	}
	v := (uint64(d.ValueSize) + 7) &^ 7
	if d.PerCPU() {
		v *= uint64(runtime.NumCPU())
	}
	k := uint64(0)
	if d.Type != ebpf.Array && d.Type != ebpf.PerCPUArray {
		k = (uint64(d.KeySize) + 7) &^ 7
	}
	return uint64(d.MaxEntries) * (k + v)
}

func bytesString(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB"}
	f, i := float64(n)/unit, 0
	for f >= unit && i < len(units)-1 {
		f /= unit
		i++
	}
	return fmt.Sprintf("%.0f %s", f, units[i])
}

// replacements are the maps for CollectionOptions.MapReplacements (the
// collection clones them).
func (im *implMaps) replacements() map[string]*ebpf.Map {
	if im == nil || len(im.maps) == 0 {
		return nil
	}
	return im.maps
}

// pin pins the maps this load created under opts.PinDir. On error, the
// pins made so far are removed.
func (im *implMaps) pin(opts *Options) error {
	if im == nil || opts == nil || opts.PinDir == "" {
		return nil
	}
	var done []*ebpf.Map
	for _, name := range sortedKeys(im.maps) {
		if !im.created[name] {
			continue
		}
		path := filepath.Join(opts.PinDir, name)
		if err := im.maps[name].Pin(path); err != nil {
			for _, m := range done {
				m.Unpin()
			}
			return fmt.Errorf("map %s: pin at %s (the directory must be on a bpffs, e.g. under /sys/fs/bpf): %w", name, path, err)
		}
		done = append(done, im.maps[name])
	}
	return nil
}

// close closes the maps (a pinned map lives on in bpffs).
func (im *implMaps) close() {
	if im == nil {
		return
	}
	for _, m := range im.maps {
		m.Close()
	}
	im.maps = nil
}

// declared returns the declared map called name of a loaded implementation.
func (i *Impl) declared(name string) (*ebpf.Map, *sasm.MapDef, error) {
	if i == nil || i.coll == nil {
		return nil, nil, fmt.Errorf("map %s: the implementation is not loaded", name)
	}
	if i.maps != nil {
		if m := i.maps.maps[name]; m != nil {
			return m, i.maps.defs[name], nil
		}
	}
	var names []string
	if i.maps != nil {
		names = sortedKeys(i.maps.maps)
	}
	return nil, nil, fmt.Errorf("map %s: no program of %s uses it (its maps: %v): a map is created when a program refers to it", name, i.ops.Name, names)
}

// MapID returns the kernel's ID of a declared map (what bpftool map show
// lists), e.g. to check that two implementations share it.
func (i *Impl) MapID(name string) (ebpf.MapID, error) {
	m, _, err := i.declared(name)
	if err != nil {
		return 0, err
	}
	info, err := m.Info()
	if err != nil {
		return 0, fmt.Errorf("map %s: info: %w", name, err)
	}
	id, ok := info.ID()
	if !ok {
		return 0, fmt.Errorf("map %s: the kernel reports no ID", name)
	}
	return id, nil
}

// DeclaredMapNames lists the declared maps of a loaded implementation.
func (i *Impl) DeclaredMapNames() []string {
	if i == nil || i.maps == nil {
		return nil
	}
	return slices.Sorted(func(yield func(string) bool) {
		for name := range i.maps.maps {
			if !yield(name) {
				return
			}
		}
	})
}

// checkSharedMaps makes sure next uses i's map wherever both declare a map
// of the same name: a hot swap whose next implementation made its own maps
// would silently restart every count from zero.
func checkSharedMaps(i, next *Impl) error {
	if i.maps == nil || next.maps == nil {
		return nil
	}
	for _, name := range sortedKeys(next.maps.maps) {
		if i.maps.maps[name] == nil {
			continue // a map only next declares starts empty
		}
		a, errA := i.MapID(name)
		b, errB := next.MapID(name)
		if errA != nil || errB != nil {
			return fmt.Errorf("update %s: map %s: %w", i.ops.Name, name, errors.Join(errA, errB))
		}
		if a != b {
			return fmt.Errorf("update %s: the new implementation has its own map %s (ID %d, the current one's is %d): load it with Options.MapsFrom set to the current implementation to keep the maps", i.ops.Name, name, b, a)
		}
	}
	return nil
}

// CallCount is the number of calls of one callback, summed over CPUs.
type CallCount struct {
	Member string
	Calls  uint64
}

// CallCounts reads the call counts of the implementation (Ops.Counts), one
// per member in the declared order, summed over CPUs: the loader's --stats
// prints them.
func (i *Impl) CallCounts() ([]CallCount, error) {
	c := i.ops.Counts
	if c == nil {
		return nil, fmt.Errorf("%s counts no calls: regenerate with call counting (Ops.Counts is nil)", i.ops.Name)
	}
	m, _, err := i.declared(c.Map.Name)
	if err != nil {
		return nil, err
	}
	out := make([]CallCount, len(c.Members))
	for n, member := range c.Members {
		out[n].Member = member
	}
	if c.Global {
		raw := make([]byte, c.Map.ValueSize)
		if err := m.Lookup(uint32(0), &raw); err != nil {
			return nil, fmt.Errorf("call counts %s: %w", c.Map.Name, err)
		}
		for n := range out {
			out[n].Calls = binary.NativeEndian.Uint64(raw[8*n:])
		}
		return out, nil
	}
	for n := range out {
		var per []uint64
		if err := m.Lookup(uint32(n), &per); err != nil {
			return nil, fmt.Errorf("call counts %s of %s: %w", c.Map.Name, out[n].Member, err)
		}
		for _, v := range per {
			out[n].Calls += v
		}
	}
	return out, nil
}
