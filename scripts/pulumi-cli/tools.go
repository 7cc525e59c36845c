//go:build tools

// This file only records the Pulumi CLI main package as a dependency of this
// module so that `go mod tidy` keeps everything it needs in go.mod/go.sum.
// It is never compiled: scripts/ensure-pulumi builds the package by import path.
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
