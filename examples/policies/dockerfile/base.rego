# Dockerfiles arrive as conftest's list of {Cmd, Flags, Value, Stage, ...} objects.
# The same rule name (`deny`) is written in one style within a package: rego-cpp reads
# v0's `deny[msg] { }` and v1's `deny contains msg if { }` as different rule kinds.
package main

denylist := ["openjdk", "ubuntu:latest"]

deny[result] {
  some i
  input[i].Cmd == "from"
  image := input[i].Value[0]
  banned := denylist[_]
  contains(image, banned)
  result := {
    "msg": sprintf("base image %s is not allowed (matches %s)", [image, banned]),
    "path": sprintf("[%d]", [i]),
  }
}
