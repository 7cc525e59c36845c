package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"pulumi-narrative-jobs/scripts/pulumi-cli/internal/standin"
)

// listPluginFiles prints, as JSON, every installed distribution whose top-level package holds a
// pulumi-plugin.json (Pulumi's generated SDKs put it there), with the file's content. It reads what the
// environment's own Python sees, through importlib.metadata, so any layout pip installs is found.
const listPluginFiles = `
import importlib.metadata, json, sys
found = []
for dist in importlib.metadata.distributions():
    for file in dist.files or []:
        if len(file.parts) == 2 and file.parts[1] == "pulumi-plugin.json":
            found.append({
                "distribution": dist.metadata["Name"],
                "version": dist.version,
                "path": str(file.locate()),
                "plugin": file.read_text(),
            })
json.dump(found, sys.stdout)
`

// installedPlugin is one entry of listPluginFiles' output.
type installedPlugin struct {
	Distribution string `json:"distribution"`
	Version      string `json:"version"`
	Path         string `json:"path"`
	Plugin       string `json:"plugin"`
}

// A release version that is also a plugin's (X.Y.Z); other PEP 440 versions (1.0, 1.2.3a4, 1.2.3.post1) name no
// plugin release this host can be sure of.
var plainVersion = regexp.MustCompile(`^\d+\.\d+\.\d+$`)

// requiredPackages lists the resource plugins that the installed distributions' pulumi-plugin.json name: its
// name (else the distribution's, without a "pulumi-" or "pulumi_" prefix), its version (else the distribution's,
// when it is X.Y.Z), its server and its parameterization. A file that says `"resource": false` names none.
func requiredPackages(ctx context.Context, p *project) ([]*pulumirpc.PackageDependency, error) {
	cmd, err := p.tc.Command(ctx, "-c", listPluginFiles)
	if err != nil {
		return nil, err
	}
	cmd.Dir = p.programDir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("listing the Python packages' pulumi-plugin.json with %s: %w: %s",
			cmd.Path, err, strings.TrimSpace(stderr.String()))
	}
	var installed []installedPlugin
	if err := json.Unmarshal(out, &installed); err != nil {
		return nil, fmt.Errorf("reading the list of pulumi-plugin.json files: %w", err)
	}
	pkgs := []*pulumirpc.PackageDependency{}
	seen := map[string]bool{}
	for _, found := range installed {
		var pj plugin.PulumiPluginJSON
		if err := json.Unmarshal([]byte(found.Plugin), &pj); err != nil {
			return nil, fmt.Errorf("%s: %w", found.Path, err)
		}
		if !pj.Resource {
			continue
		}
		name := pj.Name
		if name == "" {
			name = strings.TrimPrefix(strings.TrimPrefix(found.Distribution, "pulumi-"), "pulumi_")
		}
		version := pj.Version
		if version == "" && plainVersion.MatchString(found.Version) {
			version = found.Version
		}
		dep := &pulumirpc.PackageDependency{
			Name: name, Kind: "resource", Version: standin.PluginVersion(version), Server: pj.Server,
		}
		if param := pj.Parameterization; param != nil {
			dep.Parameterization = &pulumirpc.PackageParameterization{
				Name: param.Name, Version: param.Version, Value: param.Value,
			}
		}
		key := name + "@" + dep.Version
		if !seen[key] {
			seen[key] = true
			pkgs = append(pkgs, dep)
		}
	}
	return pkgs, nil
}

func (h *pythonHost) packages(ctx context.Context, info *pulumirpc.ProgramInfo) ([]*pulumirpc.PackageDependency, error) {
	p, err := resolveProject(info)
	if err != nil {
		return nil, err
	}
	if err := h.ensureEnvironment(ctx, p); err != nil {
		return nil, err
	}
	return requiredPackages(ctx, p)
}

func (h *pythonHost) GetRequiredPackages(
	ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	pkgs, err := h.packages(ctx, req.GetInfo())
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: pkgs}, nil
}

func (h *pythonHost) GetRequiredPlugins(
	ctx context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	pkgs, err := h.packages(ctx, req.GetInfo())
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: standin.PluginDependencies(pkgs)}, nil
}
