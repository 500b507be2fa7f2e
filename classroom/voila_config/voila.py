"""Voilà settings for a class: the README's command reads this file.

    .venv/bin/voila --Voila.config_file_paths=classroom/voila_config classroom/ga_demos.ipynb

(Voilà reads ``voila.py`` from the folders in ``Voila.config_file_paths``; this one is in a
folder of its own so that no kernel or script started at the root or in classroom/ can
mistake it for the ``voila`` package.) Options given on the command line win over these,
e.g. ``--pool_size=10`` or ``--MappingKernelManager.cull_idle_timeout=600``.

- **Pre-started kernels** (Voilà's preheat pool): ``POOL_SIZE`` kernels have already run the
  notebook when a student opens the page, which then shows every demo in about 1.3 s instead
  of about 7 s. Each spare kernel holds about 130 MB; a used one is replaced after
  ``fill_delay`` seconds (running the notebook costs a replacement about 5 s of CPU).
- **Idle kernels are culled**: a kernel whose page is gone (tab closed without saying
  goodbye, laptop asleep) and that has been idle for ``cull_idle_timeout`` is shut down.
  Kernels with a page connected are never culled, nor are the pool's spare kernels.
- **A closed page frees its kernel at once**: Voilà's page asks the server to shut its kernel
  down when it is closed or reloaded, but Voilà 0.5.13 serves the page without the XSRF
  cookie that this request must carry, so the server refused it (HTTP 403) and every reload
  left a kernel behind (voila-dashboards/voila#1458). ``disable_check_xsrf`` lets the
  request through. This server has no login and its only state-changing request is that
  one, which needs the kernel's random id, so the check protected nothing here.
"""

from datetime import timedelta

from jupyter_server._tz import utcnow
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager

POOL_SIZE = 4
CULL_IDLE_TIMEOUT_S = 15 * 60
CULL_INTERVAL_S = 60


class ClassroomKernelManager(AsyncMappingKernelManager):
    """The kernel manager that Voilà's pool is built on, culling only what no page needs.

    A pool kernel that waited longer than ``cull_idle_timeout`` (a server started well
    before the class) is handed to a page with its old last-activity time and no
    connection yet, so the culler could shut it down before the page connects: the page
    then shows "Kernel does not exist" (seen in the load test, scripts/voila_load.py).
    Here a kernel that never had a page connected counts as idle only from the first time
    the culler saw it outside the pool. Also skipped: kernels shut down or still starting
    while the culler runs (jupyter_server logs a traceback for those).
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._ever_connected = set()
        self._unconnected_since = {}

    def notify_connect(self, kernel_id):
        self._ever_connected.add(kernel_id)
        super().notify_connect(kernel_id)

    async def cull_kernel_if_idle(self, kernel_id):
        try:
            self._kernels[kernel_id].last_activity  # noqa: B018  (unset while starting)
        except Exception:  # KeyError: shut down meanwhile; TraitError: still starting
            return None
        if kernel_id not in self._ever_connected:
            since = self._unconnected_since.setdefault(kernel_id, utcnow())
            if utcnow() - since < timedelta(seconds=self.cull_idle_timeout):
                return None
        return await super().cull_kernel_if_idle(kernel_id)

    async def shutdown_kernel(self, kernel_id, *args, **kwargs):
        self._ever_connected.discard(kernel_id)
        self._unconnected_since.pop(kernel_id, None)
        return await super().shutdown_kernel(kernel_id, *args, **kwargs)


c = get_config()  # noqa: F821  (defined by traitlets when it loads this file)

c.VoilaConfiguration.multi_kernel_manager_class = ClassroomKernelManager
c.VoilaConfiguration.preheat_kernel = True
c.VoilaConfiguration.default_pool_size = POOL_SIZE
c.VoilaKernelManager.fill_delay = 3.0  # s: first let the page that took a kernel render

c.MappingKernelManager.cull_idle_timeout = CULL_IDLE_TIMEOUT_S
c.MappingKernelManager.cull_interval = CULL_INTERVAL_S
c.MappingKernelManager.cull_connected = False
c.MappingKernelManager.cull_busy = False

c.Voila.tornado_settings = {"disable_check_xsrf": True}
