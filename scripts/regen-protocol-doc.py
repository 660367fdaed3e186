#!/usr/bin/env python3
# Rewrites the message reference at the end of protocol/PROTOCOL.md from `mixroomd protocol-doc`.
# Usage: scripts/regen-protocol-doc.py [path/to/mixroomd]   (default: build/server/mixroomd)
import pathlib, subprocess, sys

root = pathlib.Path(__file__).resolve().parent.parent
binary = sys.argv[1] if len(sys.argv) > 1 else str(root / "build/server/mixroomd")
doc_path = root / "protocol/PROTOCOL.md"
doc = doc_path.read_text()
reference = subprocess.run([binary, "protocol-doc"], check=True, capture_output=True, text=True).stdout
start = doc.index("### `hello` (client → server)")
doc_path.write_text(doc[:start] + reference)
