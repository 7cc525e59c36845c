package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"pulumi-narrative-jobs/scripts/pulumi-cli/internal/standin"
)

// goModule is the part of `go mod edit -json` this host reads.
type goModule struct {
	Module  struct{ Path string }
	Require []struct {
		Path     string
		Version  string
		Indirect bool
	}
	Replace []struct {
		Old struct{ Path string }
		New struct{ Path, Version string }
	}
}

// readGoMod reads the go.mod of the module dir is in.
func readGoMod(ctx context.Context, gobin, dir string) (*goModule, string, error) {
	cmd := exec.CommandContext(ctx, gobin, "env", "GOMOD")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	out, err := cmd.Output()
	if err != nil {
		return nil, "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return nil, "", fmt.Errorf("no go.mod for %s", dir)
	}
	cmd = exec.CommandContext(ctx, gobin, "mod", "edit", "-json", gomod)
	cmd.Dir = dir
	out, err = cmd.Output()
	if err != nil {
		return nil, "", fmt.Errorf("go mod edit -json %s: %w", gomod, err)
	}
	var m goModule
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, "", fmt.Errorf("parsing go mod edit -json: %w", err)
	}
	return &m, filepath.Dir(gomod), nil
}

// moduleDirs maps each module path to its source directory (the module cache,
// a replacement's directory, or vendor/), as `go list -m -json` reports it.
func moduleDirs(ctx context.Context, gobin, modDir string, paths []string) map[string]string {
	dirs := map[string]string{}
	if len(paths) == 0 {
		return dirs
	}
	decode := func(args ...string) {
		cmd := exec.CommandContext(ctx, gobin, args...)
		cmd.Dir = modDir
		cmd.Env = append(os.Environ(), "GOWORK=off")
		out, _ := cmd.Output() // partial output is still useful
		dec := json.NewDecoder(bytes.NewReader(out))
		for dec.More() {
			var m struct {
				Path, Dir string
				Replace   *struct{ Dir string }
			}
			if dec.Decode(&m) != nil {
				return
			}
			if m.Dir == "" && m.Replace != nil {
				m.Dir = m.Replace.Dir
			}
			if m.Dir != "" {
				dirs[m.Path] = m.Dir
			}
		}
	}
	decode(append([]string{"list", "-m", "-json"}, paths...)...)
	var missing []string
	vendor := filepath.Join(modDir, "vendor")
	_, vendorErr := os.Stat(vendor)
	for _, p := range paths {
		if dirs[p] != "" {
			continue
		}
		if vendorErr == nil {
			if st, err := os.Stat(filepath.Join(vendor, p)); err == nil && st.IsDir() {
				dirs[p] = filepath.Join(vendor, p)
			}
			continue
		}
		missing = append(missing, p)
	}
	if len(missing) > 0 {
		decode(append([]string{"mod", "download", "-json"}, missing...)...)
	}
	return dirs
}

// pluginJSON is pulumi-plugin.json as the Go SDKs Pulumi generates carry it.
type pluginJSON struct {
	Resource bool   `json:"resource"`
	Name     string `json:"name"`
	Version  string `json:"version"`
	Server   string `json:"server"`
}

func readPluginJSON(moduleDir string) *pluginJSON {
	candidates := []string{
		filepath.Join(moduleDir, "pulumi-plugin.json"),
		filepath.Join(moduleDir, "go", "pulumi-plugin.json"),
	}
	for _, pattern := range []string{"go/*/pulumi-plugin.json", "*/pulumi-plugin.json"} {
		matches, _ := filepath.Glob(filepath.Join(moduleDir, pattern))
		candidates = append(candidates, matches...)
	}
	for _, path := range candidates {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		var p pluginJSON
		if json.Unmarshal(b, &p) != nil {
			continue
		}
		return &p
	}
	return nil
}

// A released module version (not a pseudo-version such as
// v0.0.0-20260101000000-abcdef123456, which names no plugin release).
var releaseVersion = regexp.MustCompile(`^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)
var pseudoVersion = regexp.MustCompile(`\d{14}-[0-9a-f]{12}$`)

// requiredPackages lists the resource plugins the program's dependencies name
// in pulumi-plugin.json. Errors (no go.mod, modules not downloadable) give an
// empty list, as upstream: the engine still loads plugins on demand.
func requiredPackages(ctx context.Context, dir string) []*pulumirpc.PackageDependency {
	gobin, err := goBinary()
	if err != nil {
		return nil
	}
	mod, modDir, err := readGoMod(ctx, gobin, dir)
	if err != nil {
		return nil
	}
	paths := make([]string, 0, len(mod.Require))
	versions := map[string]string{}
	for _, r := range mod.Require {
		paths = append(paths, r.Path)
		versions[r.Path] = r.Version
	}
	for _, r := range mod.Replace {
		if r.New.Version == "" { // a local directory: no release version
			versions[r.Old.Path] = ""
		}
	}
	dirs := moduleDirs(ctx, gobin, modDir, paths)
	var pkgs []*pulumirpc.PackageDependency
	seen := map[string]bool{}
	for _, path := range paths {
		moduleDir := dirs[path]
		if moduleDir == "" {
			continue
		}
		if !filepath.IsAbs(moduleDir) {
			moduleDir = filepath.Join(modDir, moduleDir)
		}
		p := readPluginJSON(moduleDir)
		if p == nil || !p.Resource {
			continue
		}
		name := p.Name
		if name == "" || seen[name] {
			continue
		}
		seen[name] = true
		ver := p.Version
		if ver == "" {
			ver = versions[path]
		}
		ver = standin.PluginVersion(ver)
		if !releaseVersion.MatchString(ver) || pseudoVersion.MatchString(ver) {
			ver = ""
		}
		pkgs = append(pkgs, &pulumirpc.PackageDependency{
			Name: name, Kind: "resource", Version: ver, Server: p.Server,
		})
	}
	return pkgs
}

func (h *goHost) GetRequiredPackages(
	ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{
		Packages: requiredPackages(ctx, programDir(req.GetInfo(), "")),
	}, nil
}

func (h *goHost) GetRequiredPlugins(
	ctx context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	dir := programDir(req.GetInfo(), req.GetPwd()) //nolint:staticcheck
	return &pulumirpc.GetRequiredPluginsResponse{
		Plugins: standin.PluginDependencies(requiredPackages(ctx, dir)),
	}, nil
}

func (h *goHost) GetProgramDependencies(
	ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	gobin, err := goBinary()
	if err != nil {
		return nil, err
	}
	mod, _, err := readGoMod(ctx, gobin, programDir(req.GetInfo(), req.GetPwd())) //nolint:staticcheck
	if err != nil {
		return nil, err
	}
	replaced := map[string]bool{}
	for _, r := range mod.Replace {
		replaced[r.Old.Path] = true
	}
	var deps []*pulumirpc.DependencyInfo
	for _, r := range mod.Require {
		if r.Indirect && !req.GetTransitiveDependencies() {
			continue
		}
		ver := r.Version
		if replaced[r.Path] {
			ver = ""
		}
		deps = append(deps, &pulumirpc.DependencyInfo{Name: r.Path, Version: ver})
	}
	sort.Slice(deps, func(i, j int) bool { return deps[i].Name < deps[j].Name })
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}
