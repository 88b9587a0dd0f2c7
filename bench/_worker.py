"""``python -m bench._worker module:function JSON``: run one measurement, print its result.

The last line of stdout is a JSON object: the function's result plus ``rss_mb``, the peak
resident memory of this process or of the largest child it waited for (Hexo, Hugo).
"""

from __future__ import annotations

import importlib
import json
import resource
import sys


def main() -> None:
    target, raw = sys.argv[1], sys.argv[2]
    module, _, name = target.partition(":")
    function = getattr(importlib.import_module(module), name)
    result = dict(function(**json.loads(raw)))
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # Linux reports KiB; a run that sampled its whole process tree (workers running beside
    # it) reports that as tree_mb, which is what counts.
    result["rss_mb"] = max(max(own, children) / 1024, float(result.get("tree_mb", 0.0)))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
