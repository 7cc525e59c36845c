package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	pythongen "github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
)

// GeneratePackage writes a Python SDK for a package schema into req.Directory with Pulumi's own Python generator
// (pkg/v3/codegen/python at the CLI's version), the way `pulumi package add` and `pulumi package gen-sdk` ask
// for it. Packages the schema refers to are loaded through the engine (req.LoaderTarget).
func (h *pythonHost) GeneratePackage(
	_ context.Context, req *pulumirpc.GeneratePackageRequest,
) (*pulumirpc.GeneratePackageResponse, error) {
	loader, err := schema.NewLoaderClient(req.GetLoaderTarget())
	if err != nil {
		return nil, err
	}
	defer loader.Close()
	var spec schema.PackageSpec
	if err := json.Unmarshal([]byte(req.GetSchema()), &spec); err != nil {
		return nil, fmt.Errorf("reading the package schema: %w", err)
	}
	cached := schema.NewCachedLoader(loader)
	pkg, diags, err := schema.BindSpec(spec, cached, schema.ValidationOptions{AllowDanglingReferences: true})
	if err != nil {
		return nil, err
	}
	if diags.HasErrors() {
		return &pulumirpc.GeneratePackageResponse{Diagnostics: plugin.HclDiagnosticsToRPCDiagnostics(diags)}, nil
	}
	files, err := pythongen.GeneratePackage("pulumi-language-python", pkg, req.GetExtraFiles(), cached)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		target := filepath.Join(req.GetDirectory(), filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(target, files[name], 0o644); err != nil {
			return nil, err
		}
	}
	return &pulumirpc.GeneratePackageResponse{Diagnostics: plugin.HclDiagnosticsToRPCDiagnostics(diags)}, nil
}

// Link adds SDKs generated into the project (by GeneratePackage) to its requirements.txt, as paths relative to
// the project, with Pulumi's pip toolchain: a line naming the same Python package is replaced. The engine then
// installs them (InstallDependencies).
func (h *pythonHost) Link(ctx context.Context, req *pulumirpc.LinkRequest) (*pulumirpc.LinkResponse, error) {
	p, err := resolveProject(req.GetInfo())
	if err != nil {
		return nil, err
	}
	paths := map[string]string{}
	var imports []string
	for _, dep := range req.GetPackages() {
		pyproject, err := toolchain.LoadPyproject(filepath.Join(p.root, dep.GetPath()))
		if err != nil {
			return nil, fmt.Errorf("the generated SDK of %s: %w", dep.GetPackage().GetName(), err)
		}
		if pyproject.Project == nil || pyproject.Project.Name == "" {
			return nil, fmt.Errorf("the generated SDK in %s names no project in its pyproject.toml", dep.GetPath())
		}
		name := strings.ReplaceAll(pyproject.Project.Name, "-", "_")
		paths[name] = dep.GetPath()
		imports = append(imports, fmt.Sprintf("  import %s as %s", name, dep.GetPackage().GetName()))
	}
	if err := p.tc.LinkPackages(ctx, paths); err != nil {
		return nil, err
	}
	return &pulumirpc.LinkResponse{
		ImportInstructions: "You can then import the SDK in your Python code with:\n\n" + strings.Join(imports, "\n"),
	}, nil
}
