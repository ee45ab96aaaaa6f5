// Package templates holds the embedded C and Kbuild templates of the
// generated kernel module. They only lay out text: every decision (names,
// formats, which code a member needs) is made in package gen's view model.
package templates

import (
	"embed"
	"text/template"
)

//go:embed *.tmpl
var files embed.FS

// Parse returns all templates, named by file name.
func Parse(funcs template.FuncMap) (*template.Template, error) {
	return template.New("").Funcs(funcs).ParseFS(files, "*.tmpl")
}
