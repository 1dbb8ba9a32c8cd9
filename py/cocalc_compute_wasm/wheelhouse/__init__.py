"""The project's wheelhouse: wheels that fit the browser kernel, chosen and resolved on a
CPython host (`cocalc-compute wheels add`), served by the project server's index.

`tags` and `resolve` are pure (no IO): which wheels a browser kernel can install, and
which wheels a set of requirements needs there. `folder` is the wheelhouse on disk and
`download` the shell that asks pip for one wheel at a time.
"""
