"""Discovery: LLDP read from every switch over gNMI (:mod:`.lldp`) and the
topology built from it, the inventory and the static port map (:mod:`.build`)."""
