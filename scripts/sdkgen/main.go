// Command sdkgen generates the Go, Python and Node.js SDKs of the narrative provider from its package schema
// with Pulumi's own generators (github.com/pulumi/pulumi/pkg/v3/codegen at the version pinned in go.mod, the
// project's Pulumi CLI version). `npm run sdks` runs it as
//
//	go run . -schema ../../schema.json -out ../../sdk
//
// It binds the schema (validating it against Pulumi's metaschema), then replaces <out>/go, <out>/python and
// <out>/nodejs with what codegen/go, codegen/python and codegen/nodejs produce, plus the few files those
// generators leave to Pulumi's language hosts: the Go SDK's go.mod and go.sum (written here, then
// `go mod tidy`), the Python and Node.js READMEs, and <out>/README.md. Everything under <out> is generated:
// never edit it by hand. The output depends only on the schema and this program, so the test that runs it
// into a temporary directory and compares with the committed sdk/ finds any drift.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/blang/semver"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	nodejsgen "github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	pythongen "github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// tool is the name the generated files' headers give as their generator.
const tool = "pulumi-narrative-jobs scripts/sdkgen"

// noPlugins is a schema loader for a schema that refers to no other package: binding asks a loader only for
// packages that a $ref names outside the schema itself, and this one refuses them instead of starting plugins.
type noPlugins struct{}

var _ schema.ReferenceLoader = noPlugins{}

func (noPlugins) refuse(name string) error {
	return fmt.Errorf("the schema refers to package %q: sdkgen loads no plugins, so only this package's own "+
		"types and pulumi.json may be referenced", name)
}

func (l noPlugins) LoadPackage(pkg string, _ *semver.Version) (*schema.Package, error) {
	return nil, l.refuse(pkg)
}

func (l noPlugins) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, l.refuse(d.Name)
}

func (l noPlugins) LoadPackageReference(pkg string, _ *semver.Version) (schema.PackageReference, error) {
	return nil, l.refuse(pkg)
}

func (l noPlugins) LoadPackageReferenceV2(
	_ context.Context, d *schema.PackageDescriptor,
) (schema.PackageReference, error) {
	return nil, l.refuse(d.Name)
}

func main() {
	schemaPath := flag.String("schema", "", "the package schema (schema.json)")
	outDir := flag.String("out", "", "the generated-code directory; its go, python and nodejs are replaced")
	tidy := flag.Bool("tidy", true, "run `go mod tidy` in <out>/go to write go.sum (needs the Go module cache)")
	flag.Parse()
	if *schemaPath == "" || *outDir == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: sdkgen -schema schema.json -out sdk")
		os.Exit(2)
	}
	if err := run(*schemaPath, *outDir, *tidy); err != nil {
		fmt.Fprintf(os.Stderr, "sdkgen: %v\n", err)
		os.Exit(1)
	}
}

func run(schemaPath, outDir string, tidy bool) error {
	text, err := os.ReadFile(schemaPath)
	if err != nil {
		return err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(text, &spec); err != nil {
		return fmt.Errorf("%s: %w", schemaPath, err)
	}
	sdkVersion, codegenVersion, err := pulumiVersions()
	if err != nil {
		return err
	}
	sdks, err := generate(spec, schemaPath, sdkVersion)
	if err != nil {
		return err
	}
	if err := writeSdks(outDir, sdks, codegenVersion); err != nil {
		return err
	}
	if tidy {
		// go.sum, and go.mod's indirect requirements, as `go build -mod=readonly` needs them.
		cmd := exec.Command("go", "mod", "tidy")
		cmd.Dir = filepath.Join(outDir, "go")
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go mod tidy in %s: %w", cmd.Dir, err)
		}
	}
	return nil
}

// generate returns each language's files by the SDK's directory name.
func generate(spec schema.PackageSpec, schemaPath, sdkVersion string) (map[string]map[string][]byte, error) {
	// Each generator gets a package bound afresh: they record language settings in the package they are given.
	bind := func() (*schema.Package, error) {
		pkg, diags, err := schema.BindSpec(spec, noPlugins{}, schema.ValidationOptions{})
		if err != nil {
			return nil, fmt.Errorf("binding %s: %w", schemaPath, err)
		}
		if len(diags) > 0 {
			return nil, fmt.Errorf("binding %s: %w", schemaPath, diags)
		}
		if pkg.Version == nil {
			return nil, fmt.Errorf("%s has no version", schemaPath)
		}
		return pkg, nil
	}

	pkg, err := bind()
	if err != nil {
		return nil, err
	}
	goFiles, err := gogen.GeneratePackage(tool, pkg, nil)
	if err != nil {
		return nil, fmt.Errorf("codegen/go: %w", err)
	}
	if goFiles["go.mod"], err = goModFile(pkg, sdkVersion); err != nil {
		return nil, err
	}

	if pkg, err = bind(); err != nil {
		return nil, err
	}
	pythonFiles, err := pythongen.GeneratePackage(tool, pkg, nil, noPlugins{})
	if err != nil {
		return nil, fmt.Errorf("codegen/python: %w", err)
	}
	// pyproject.toml names README.md, which Pulumi's Python language host would add.
	pythonFiles["README.md"] = readme(pkg, "Python")

	if pkg, err = bind(); err != nil {
		return nil, err
	}
	nodejsFiles, err := nodejsgen.GeneratePackage(tool, pkg, nil, nil, false, noPlugins{})
	if err != nil {
		return nil, fmt.Errorf("codegen/nodejs: %w", err)
	}
	nodejsFiles["README.md"] = readme(pkg, "Node.js")
	return map[string]map[string][]byte{"go": goFiles, "python": pythonFiles, "nodejs": nodejsFiles}, nil
}

// writeSdks replaces each SDK's directory under outDir and writes the README that says they are generated.
func writeSdks(outDir string, sdks map[string]map[string][]byte, codegenVersion string) error {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	for dir, files := range sdks {
		if err := replaceDir(filepath.Join(outDir, dir), files); err != nil {
			return err
		}
	}
	top := fmt.Sprintf("# Generated SDKs\n\n"+
		"Everything in this directory is generated from `schema.json` by `scripts/sdkgen` with Pulumi's code\n"+
		"generators (github.com/pulumi/pulumi/pkg/v3 %s). Do not edit it: change the schema, then run\n"+
		"`npm run sdks` and commit the result. `go`, `python` and `nodejs` hold the SDK of each language.\n",
		codegenVersion)
	return os.WriteFile(filepath.Join(outDir, "README.md"), []byte(top), 0o644)
}

// pulumiVersions returns the versions of github.com/pulumi/pulumi/sdk/v3 and pkg/v3 this program was built
// with, so the Go SDK requires the Go SDK its code was generated for.
func pulumiVersions() (sdk, pkg string, err error) {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "", "", errors.New("no build information to read the Pulumi version from")
	}
	for _, dep := range info.Deps {
		switch dep.Path {
		case "github.com/pulumi/pulumi/sdk/v3":
			sdk = dep.Version
		case "github.com/pulumi/pulumi/pkg/v3":
			pkg = dep.Version
		}
	}
	if sdk == "" || pkg == "" {
		return "", "", errors.New("the build information names no github.com/pulumi/pulumi/{sdk,pkg}/v3")
	}
	return sdk, pkg, nil
}

// goModFile is the Go SDK's go.mod before `go mod tidy`: the module is the directory above the import base
// path (sdk/go for .../sdk/go/narrative), as Pulumi's own SDKs lay it out.
func goModFile(pkg *schema.Package, sdkVersion string) ([]byte, error) {
	info, _ := pkg.Language["go"].(gogen.GoPackageInfo)
	if info.ImportBasePath == "" {
		return nil, errors.New("schema.json: language.go.importBasePath is required (the Go module path comes from it)")
	}
	module := info.ModulePath
	if module == "" {
		module = path.Dir(info.ImportBasePath)
	}
	return []byte(fmt.Sprintf("module %s\n\ngo 1.25.11\n\nrequire github.com/pulumi/pulumi/sdk/v3 %s\n",
		module, sdkVersion)), nil
}

func readme(pkg *schema.Package, language string) []byte {
	return []byte(fmt.Sprintf("# %s\n\n%s\n\nThe %s SDK of the Pulumi provider `%s` %s, generated from its schema by "+
		"scripts/sdkgen with Pulumi's code generators. How to use it, and what is tested of it: the repository's "+
		"README, \"Other Pulumi languages\".\n", pkg.DisplayName, strings.TrimSpace(pkg.Description), language,
		pkg.Name, pkg.Version))
}

// replaceDir makes dir hold exactly files (relative slash paths), removing whatever it held before.
func replaceDir(dir string, files map[string][]byte) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		clean := path.Clean(filepath.ToSlash(name))
		if path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
			return fmt.Errorf("generated file %q is outside %s", name, dir)
		}
		target := filepath.Join(dir, filepath.FromSlash(clean))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		contents := files[name]
		if !bytes.HasSuffix(contents, []byte("\n")) && len(contents) > 0 {
			contents = append(contents, '\n')
		}
		if err := os.WriteFile(target, contents, 0o644); err != nil {
			return err
		}
	}
	return nil
}
