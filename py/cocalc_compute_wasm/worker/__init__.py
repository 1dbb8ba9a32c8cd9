"""Compute workers: the shells that host a runner and its kernels.

`service`: what every compute worker does (serve the notebooks the server assigns, one
runner and one kernel each), over any `KernelHost`.
`native`: this CPython process joins the project as a compute client (the seed's
"powerful Linux host" mode); each notebook gets a kernel in a child process, so that an
interrupt is a SIGINT that stops even `time.sleep(100)`, and a restart is a fresh process
while the connection to the project stays up. The browser worker (`..browser`) hosts the
same service in Pyodide, with kernels in Pyodide workers of their own.
"""
