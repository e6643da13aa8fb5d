"""``python -m cni.vlan.tagger``: the tagger process (:mod:`cni.vlan.tagger.server`)."""

import sys

from cni.vlan.tagger.server import main

sys.exit(main())
