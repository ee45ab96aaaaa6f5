package vm

import (
	"bytes"
	"encoding/binary"
	"os"
	"testing"
)

// writeELF writes a minimal x86-64 ELF file with the given sections (no
// program headers, so it counts as static). Enough for debug/elf.
func writeELF(t *testing.T, path string, sections map[string][]byte, order ...string) {
	t.Helper()
	var shstr bytes.Buffer
	shstr.WriteByte(0)
	var data bytes.Buffer
	type sh struct{ name, off, size uint64 }
	var shs []sh
	for _, n := range order {
		shs = append(shs, sh{uint64(shstr.Len()), uint64(64 + data.Len()), uint64(len(sections[n]))})
		shstr.WriteString(n + "\x00")
		data.Write(sections[n])
	}
	shstrName := uint64(shstr.Len())
	shstr.WriteString(".shstrtab\x00")
	shstrOff := uint64(64 + data.Len())
	data.Write(shstr.Bytes())
	for data.Len()%8 != 0 {
		data.WriteByte(0)
	}
	shoff := uint64(64 + data.Len())
	nsec := len(shs) + 2

	var b bytes.Buffer
	le := binary.LittleEndian
	b.Write([]byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	binary.Write(&b, le, uint16(1))  // ET_REL
	binary.Write(&b, le, uint16(62)) // EM_X86_64
	binary.Write(&b, le, uint32(1))
	binary.Write(&b, le, uint64(0)) // entry
	binary.Write(&b, le, uint64(0)) // phoff
	binary.Write(&b, le, shoff)
	binary.Write(&b, le, uint32(0))
	for _, v := range []uint16{64, 56, 0, 64, uint16(nsec), uint16(nsec - 1)} {
		binary.Write(&b, le, v)
	}
	b.Write(data.Bytes())
	section := func(name uint64, typ uint32, off, size uint64) {
		binary.Write(&b, le, uint32(name))
		binary.Write(&b, le, typ)
		binary.Write(&b, le, uint64(0)) // flags
		binary.Write(&b, le, uint64(0)) // addr
		binary.Write(&b, le, off)
		binary.Write(&b, le, size)
		binary.Write(&b, le, uint32(0))
		binary.Write(&b, le, uint32(0))
		binary.Write(&b, le, uint64(1))
		binary.Write(&b, le, uint64(0))
	}
	section(0, 0, 0, 0)
	for _, s := range shs {
		section(s.name, 1, s.off, s.size) // SHT_PROGBITS
	}
	section(shstrName, 3, shstrOff, uint64(shstr.Len()))
	if err := os.WriteFile(path, b.Bytes(), 0o755); err != nil {
		t.Fatal(err)
	}
}

// fakeKo writes a module ELF with .modinfo name=<name> and, if btf, a .BTF.
func fakeKo(t *testing.T, path, name string, btf bool) {
	secs := map[string][]byte{".modinfo": []byte("license=GPL\x00name=" + name + "\x00"), ".BTF": {0x9f, 0xeb, 1, 0}}
	if btf {
		writeELF(t, path, secs, ".modinfo", ".BTF")
	} else {
		writeELF(t, path, secs, ".modinfo")
	}
}
