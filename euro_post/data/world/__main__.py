"""`python -m euro_post.data.world <code> [count] [seed]`: print rendered problems of one language."""

import sys

from euro_post.data.world.packs import preview

if len(sys.argv) < 2:
    sys.exit("usage: python -m euro_post.data.world <code> [count] [seed]")
print(preview(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 5, int(sys.argv[3]) if len(sys.argv) > 3 else 0))
