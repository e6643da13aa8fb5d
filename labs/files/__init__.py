"""The lab file model: what a containerlab topology file and its sidecar say.

* :mod:`.topofile` - load ``<lab>.clab.yml`` (+ ``<lab>.fabric.yml``) into a
  :class:`~labs.files.lab.Lab`; :mod:`.lab` - that typed, pure lab;
* :mod:`.sidecar` - the sidecar; :mod:`.expect` - its ``expect:`` block
  checked against the topology; :mod:`._yamlfields` - YAML values with errors
  naming file and field;
* :mod:`.spec` - what the runner gives the emulator: one
  :class:`~labs.files.spec.SwitchSpec` per switch, and the emulator host
  process contract (the seam between runner and emulator, pure data: the
  runner never imports the emulator); :mod:`.build` - Lab -> SwitchSpecs;
* :mod:`.generate` - scale labs (``python -m labs.files.generate``).

Nothing here runs anything; the other rooms of :mod:`labs` build on this one.
"""
