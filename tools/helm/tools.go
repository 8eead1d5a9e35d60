//go:build tools

// Package tools records the main package built by scripts/deps (helm) so that `go mod tidy`
// keeps its dependencies in go.sum. It is never compiled.
package tools

import (
	_ "helm.sh/helm/v3/cmd/helm"
)
