"""Topology graph, discovery records and static port maps. Pure: may import models only."""
