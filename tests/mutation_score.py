"""Print the mutation score of the last `make mutants` run (mutants/mutmut-cicd-stats.json).

Killed (and timed-out) mutants over every mutant that was tested; a mutant no test reaches
counts as a survivor.
"""

import json
import sys
from pathlib import Path


def main(path: str = "mutants/mutmut-cicd-stats.json") -> int:
    stats = json.loads(Path(path).read_text())
    killed = stats["killed"] + stats["timeout"]
    survived = stats["survived"] + stats["no_tests"] + stats["suspicious"]
    tested = killed + survived
    score = 100 * killed / tested if tested else 0.0
    print(  # noqa: T201 - a command-line report
        f"mutation score: {killed}/{tested} killed = {score:.1f} percent "
        f"({survived} survived, {stats['total'] - tested - stats['skipped']} not yet run)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
