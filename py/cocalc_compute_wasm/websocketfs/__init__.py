"""WebSocketFS: SFTP v3 over a websocket, as sagemathinc/websocketfs speaks it.

`packets` is the sans-IO codec, `session` the connection's state machine, `files` the
project folder as an SFTP file system and `confine` the mapping of SFTP paths into it.
The aiohttp shell is `server/websocketfs.py`.
"""
