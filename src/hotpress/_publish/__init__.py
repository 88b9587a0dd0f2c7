"""Publish stage: archive items -> output files (Hexo posts, the static site).

``writer.Writer`` owns every output file; ``hexo.render_post`` gives a post's bytes;
``filenames`` turns titles and category paths into safe relative paths.
"""
