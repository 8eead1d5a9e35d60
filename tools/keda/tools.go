//go:build tools

// Package tools records the main packages built by scripts/deps/keda.ts (the KEDA operator and
// its metrics API server) so that `go mod tidy` keeps their dependencies in go.sum. It is never
// compiled.
package tools

import (
	_ "github.com/kedacore/keda/v2/cmd/adapter"
	_ "github.com/kedacore/keda/v2/cmd/operator"
)
