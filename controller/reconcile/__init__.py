"""Keeping switches converged: one supervised worker per leaf (:mod:`.worker`)
with its pending changes (:mod:`.changes`) and echo filter (:mod:`.echo`),
the fleet that starts, reloads and stops them (:mod:`.fleet`), and the
read-only values they answer with (:mod:`.status`)."""
