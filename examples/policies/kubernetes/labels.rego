# Rego v1 syntax (`contains` / `if`): a warning (MEDIUM unless the result says otherwise).
package main

import rego.v1

warn contains msg if {
  input.kind in {"Deployment", "StatefulSet", "DaemonSet"}
  not input.metadata.labels["app.kubernetes.io/owner"]
  msg := sprintf("%s %s has no app.kubernetes.io/owner label", [input.kind, input.metadata.name])
}
