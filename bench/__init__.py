"""Side-by-side benchmarks of hotpress against feedparser, lxml, requests, Hexo and Hugo.

Run ``python -m bench`` (``--quick`` for the small CI size); it rewrites docs/benchmarks.md.
"""
