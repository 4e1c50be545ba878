"""Warm kernels by kernel name: the fork provisioner as a jupyter_client entry point, and its kernelspec.

jupyter_client chooses how a kernel process comes to be from its kernelspec: the metadata key
``kernel_provisioner`` names a provisioner (``provisioner_name``, and ``config`` passed to it),
looked up in the entry-point group ``jupyter_client.kernel_provisioners``. pyproject.toml registers
`WarmProvisioner` there as ``nbreport-fork`` (`NAME`), and `install` (run by `make env`) writes a
second kernelspec, ``python3-warm`` (`KERNEL`), that names it. Any client that starts a kernel by
name (nbval, nbclient, JupyterLab) then gets a kernel forked from a server that imported the
collection's heavy modules once (nbreport.execution.forking): about 0.1 CPU-s per kernel instead
of about 2 s of imports. The build's own workers do not need it (nbreport.execution.kernels hands
their kernels to the same provisioner directly).

- **Which modules**: the collection's, read at every launch (nbreport.config.preimport_modules of
  the extension the kernelspec's ``config.extension`` names, else the one entry point of
  ``nbreport.extensions``), never a second list; REPORT_WARM_KERNELS=0 gives cold kernels.
- **Fresh per kernel**: each launch forks a new child of the server, so nothing one notebook does
  reaches the next (the server runs no user code).
- **Stale code**: the fork server records every file its imports read and refuses to fork once one
  has changed (nbreport.execution.fork_server.changed_file); the launch then starts a fresh server, which
  imports the new code, and says which file changed (a researcher edited src/helpers and restarted
  the kernel).
- **Cold when it cannot fork**: an argv that is not this interpreter's ipykernel, no modules, an
  extension that cannot be loaded, or a fork server that fails: the kernel is started the ordinary
  way, and the reason is logged once per process. `check` tells a client (tests/conftest.py, for nbval) beforehand whether the
  kernelspec is usable, and why not.
"""
from __future__ import annotations

import logging
import os
import sys
import warnings

from traitlets import Unicode

from nbreport.execution import forking

NAME = "nbreport-fork"  # the entry point's name in jupyter_client.kernel_provisioners (pyproject.toml)
KERNEL = "python3-warm"  # the kernelspec `install` writes
_said: set[str] = set()  # reasons for a cold kernel already logged by this process


def collection_modules(extension: str = "") -> tuple[str, ...]:
    """The modules the collection wants pre-imported (its extension's PREIMPORT, via nbreport.config).

    Parameters
    ----------
    extension : str, default ""
        Import name of the collection's extension module; "" means the one registered in the
        entry-point group ``nbreport.extensions`` (what the build uses when the manifest names none).

    Returns
    -------
    tuple of str
        Dotted module names; empty when kernels are to start cold (REPORT_WARM_KERNELS=0, or no extension).

    Raises
    ------
    nbreport.extension.ExtensionError
        The extension cannot be imported.
    nbreport.status.BuildError
        Its PREIMPORT is not a list of module names.
    """
    from nbreport import config, extension as extension_mod

    ext = extension_mod.load(extension or None)
    return config.preimport_modules(ext if ext.module is not None else None)


def _tell(log, message: str) -> None:
    """Log `message` where someone reads it (a Jupyter server's log); else a RuntimeWarning on stderr
    (a bare client's logger, traitlets', only has a NullHandler)."""
    while log is not None:
        if any(not isinstance(h, logging.NullHandler) for h in log.handlers):
            break
        log = log.parent if log.propagate else None
    if log is not None:
        log.warning(message)
    else:
        warnings.warn(message, RuntimeWarning, stacklevel=3)


def _say_once(log, reason: str) -> None:
    if reason not in _said:
        _said.add(reason)
        _tell(log, f"nbreport: this kernel starts cold (imports everything itself, about 2 s): {reason}")


def _build_class():
    base = forking.provisioner_class()

    class WarmProvisioner(base):
        """jupyter_client provisioner ``nbreport-fork``: each kernel is forked from a pre-imported server.

        Chosen by a kernelspec whose metadata is ``{"kernel_provisioner": {"provisioner_name":
        "nbreport-fork", "config": {"extension": ...}}}`` (the extension is optional). Everything but
        the launch is jupyter_client's LocalProvisioner (connection file, signals, shutdown).

        Parameters
        ----------
        **kwargs
            What jupyter_client's provisioner factory passes: ``kernel_id``, ``kernel_spec``,
            ``parent``, and the kernelspec's ``config`` (here ``extension``, optional).
        """

        extension = Unicode("", config=True,
                            help="The collection's extension module; '' = the nbreport.extensions entry point.")

        async def launch_kernel(self, cmd: list[str], **kwargs):
            """Fork the kernel from a fresh server of the collection's modules, or start it cold (said once).

            Parameters
            ----------
            cmd : list of str
                The kernelspec's argv, formatted by jupyter_client.
            **kwargs
                LocalProvisioner's launch arguments (env, cwd, ...).

            Returns
            -------
            dict
                The kernel's connection information.
            """
            from nbreport.config import single_thread_env

            # as the build's kernels: one BLAS/OpenMP thread unless the environment says otherwise (two
            # kernels side by side, each with a thread per core, make the model fits several times slower)
            env = dict(kwargs.get("env") or os.environ)
            kwargs["env"] = env = {**env, **single_thread_env(env)}
            options = forking.forkable(cmd)
            try:
                modules = collection_modules(self.extension)
            except Exception as exc:  # noqa: BLE001 - the kernel still starts; the reason is logged
                modules, why = (), f"the collection's modules cannot be read ({exc})"
            else:
                why = "no module to pre-import (REPORT_WARM_KERNELS=0, or no extension)"
            if options is None:
                why = f"its argv is not this interpreter's ipykernel ({' '.join(cmd[:3])} ...; this is {sys.executable})"
            try:
                srv = forking.server(modules, options, env) if options is not None and modules else None
            except (RuntimeError, OSError) as exc:  # could not start or reach one: this kernel starts cold
                srv, modules, why = None, (), f"the kernel fork server failed ({exc})"
            if srv is None:
                _say_once(self.log, why)
            self.modules = modules or ()
            try:
                info = await super().launch_kernel(cmd, **kwargs)
                if srv is not None and srv.replaced:
                    _tell(self.log, f"nbreport: {srv.replaced} changed since the kernel fork server imported "
                                    "it; a fresh server imported the new code for this kernel")
                    srv.replaced = None
                return info
            except (RuntimeError, OSError) as exc:  # the server died, could not fork, or never got ready
                if not self.modules:
                    raise
                _say_once(self.log, f"the kernel fork server failed ({exc})")
                self.modules = ()
                return await super().launch_kernel(cmd, **kwargs)

    return WarmProvisioner


WarmProvisioner = _build_class()


def install(name: str = KERNEL, display_name: str | None = None, prefix: str | None = None,
            extension: str = "") -> str:
    """Install a kernelspec whose kernels are forked warm: ipykernel's own, plus the provisioner in its metadata.

    Parameters
    ----------
    name : str, default "python3-warm"
        The kernelspec's name (what nbval's ``--nbval-kernel-name`` and JupyterLab's kernel menu use).
    display_name : str, optional
        What JupyterLab shows; default "<name> (pre-imported)".
    prefix : str, optional
        Install prefix; default this interpreter's (``sys.prefix``, the virtual environment).
    extension : str, default ""
        The collection's extension module, written into the provisioner's config; "" lets each
        launch find it by entry point.

    Returns
    -------
    str
        The kernelspec's folder.
    """
    import json

    from ipykernel.kernelspec import install as ipykernel_install

    dest = ipykernel_install(kernel_name=name, display_name=display_name or f"{name} (pre-imported)",
                             prefix=prefix or sys.prefix)
    path = os.path.join(dest, "kernel.json")
    with open(path, encoding="utf-8") as f:
        spec = json.load(f)
    spec.setdefault("metadata", {})["kernel_provisioner"] = {
        "provisioner_name": NAME, "config": {"extension": extension} if extension else {}}
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(spec, f, indent=1)
    os.replace(path + ".tmp", path)
    return dest


def check(name: str = KERNEL) -> str | None:
    """Why kernelspec `name` would not give warm kernels here, or None when it would.

    Checks what a launch needs: the kernelspec is installed and names this provisioner, the entry
    point resolves to `WarmProvisioner`, its argv is this interpreter's ipykernel, and the collection
    names modules to pre-import.

    Parameters
    ----------
    name : str, default "python3-warm"
        The kernelspec's name.

    Returns
    -------
    str or None
        The reason, in words a reader can act on; None when the kernelspec is usable.
    """
    from importlib.metadata import entry_points

    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        return (f"the kernelspec {name!r} is not installed here (or its provisioner is not registered); "
                "`make env` installs it")
    wanted = (spec.metadata or {}).get("kernel_provisioner", {}).get("provisioner_name")
    if wanted != NAME:
        return f"the kernelspec {name!r} names the provisioner {wanted!r}, not {NAME!r}"
    ep = next(iter(entry_points(group="jupyter_client.kernel_provisioners", name=NAME)), None)
    if ep is None or ep.load() is not WarmProvisioner:
        return f"the entry point {NAME!r} does not lead to {__name__}.WarmProvisioner"
    if forking.forkable(spec.argv) is None:
        return f"its argv is not this interpreter's ipykernel ({' '.join(spec.argv[:3])} ...; this is {sys.executable})"
    try:
        ext = (spec.metadata["kernel_provisioner"].get("config") or {}).get("extension", "")
        if not collection_modules(ext):
            return "no module to pre-import (REPORT_WARM_KERNELS=0, or no extension)"
    except Exception as exc:  # noqa: BLE001 - said as the reason
        return f"the collection's modules cannot be read ({exc})"
    return None


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(prog="python -m nbreport.execution.provisioner",
                                     description="Install the kernelspec whose kernels are forked warm.")
    parser.add_argument("--name", default=KERNEL)
    parser.add_argument("--display-name")
    parser.add_argument("--extension", default="")
    args = parser.parse_args()
    print(install(args.name, args.display_name, extension=args.extension))
