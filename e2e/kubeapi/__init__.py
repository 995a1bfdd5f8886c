"""A stand-in Kubernetes API server for Portico's end-to-end tests (standard library only).

Modules: resources (served kinds), storage (objects, resourceVersions, state file),
watch (history and open watches), watchstream (one watch request), discovery
(/version, /api, /apis, OpenAPI), tables (Table output), selection (label and field selectors), patch, kinds
(per-kind defaults and checks), faults and control (fault switches), routing and
handler (HTTP), kubeconfig, server (flags and startup). See docs/e2e-kubeapi.md.
"""
