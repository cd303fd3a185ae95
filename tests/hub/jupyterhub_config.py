"""The test hub: the documented VisionLens settings (docs/deploy/visionlens_hub_config.py)
plus what a loopback test needs. Paths and ports come from the environment the fixture
(tests/hub_fixtures.py) sets."""

import os
import sys
from pathlib import Path

c = get_config()  # type: ignore[name-defined]  # noqa: F821

REPO = Path(__file__).resolve().parents[2]
HUB_DIR = Path(os.environ["VL_HUB_DIR"])

load_subconfig(str(REPO / "docs" / "deploy" / "visionlens_hub_config.py"))  # type: ignore[name-defined]  # noqa: F821

c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = int(os.environ["VL_HUB_PORT"])
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(os.environ["VL_HUB_API_PORT"])
c.JupyterHub.base_url = os.environ.get("VL_HUB_BASE_URL", "/")
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ['VL_HUB_PROXY_API_PORT']}"
c.ConfigurableHTTPProxy.command = [os.environ["VL_HUB_PROXY"]]
c.ConfigurableHTTPProxy.should_start = True
c.JupyterHub.db_url = f"sqlite:///{HUB_DIR / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(HUB_DIR / "cookie_secret")
c.JupyterHub.pid_file = str(HUB_DIR / "jupyterhub.pid")
c.JupyterHub.cleanup_servers = True
c.JupyterHub.allow_named_servers = True

c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allowed_users = {"alice", "bob"}

# The hub's own user runs every server, each in its own home (no system users needed).
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = str(HUB_DIR / "home" / "{username}")
c.Spawner.cmd = [str(Path(sys.executable).with_name("jupyterhub-singleuser"))]
c.Spawner.args.extend(["--allow-root"])  # as root, else a misleading 500
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120

# A service that starts servers and mints per-user tokens over REST (no browser login).
c.JupyterHub.services = [{"name": "vl-tests", "api_token": os.environ["VL_HUB_SERVICE_TOKEN"]}]
c.JupyterHub.load_roles = [
    {
        "name": "vl-tests",
        "scopes": ["admin:users", "admin:servers", "tokens", "access:servers"],
        "services": ["vl-tests"],
    }
]

# The UI tests' hub (tests/hub/serve_for_ui.py): the user servers load the lab extension
# build the tests were given (JUPYTER_PATH) and expose the app to the page, as Galata's own
# server does.
if os.environ.get("VL_HUB_UI"):
    c.Spawner.env_keep.append("JUPYTER_PATH")
    c.Spawner.args.append("--LabApp.expose_app_in_browser=True")
    c.Spawner.default_url = "/lab"
