"""The entry point cPanel's "Setup Python App" (Passenger) loads: it calls ``application``.

The launcher itself is ``bavard.wsgi``, installed with the bavard wheel (``pip install
bavard-*.whl`` in the app's virtual environment). From a checkout of the source, the copy in
``python/`` beside this file is used instead, so this file is never a second version of it.
"""

import os
import sys

try:
    from bavard.wsgi import application
except ImportError:
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "python"))
    from bavard.wsgi import application

__all__ = ["application"]
