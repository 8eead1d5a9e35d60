//go:build tools

// Package tools records the main packages built by scripts/deps (kube-apiserver,
// kube-controller-manager, kube-scheduler, kubectl, etcd) so that `go mod tidy`
// keeps their dependencies in go.sum. It is never compiled.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
