# conftest's classic example (Rego v0 syntax): Deployments must not run as root.
package main

deny[msg] {
  input.kind == "Deployment"
  not input.spec.template.spec.securityContext.runAsNonRoot
  msg := "Containers must not run as root"
}

# A result object: its own rule id, severity and the field the finding points at.
deny[msg] {
  input.kind == "Deployment"
  not input.spec.selector.matchLabels.app
  msg := {
    "msg": "Deployments must provide an app label for pod selectors",
    "id": "ORG-K8S-001",
    "severity": "LOW",
    "path": "spec.selector",
  }
}
