"""nn.load refuses hostile .npz files (zip bombs, forged headers, unknown members) before it
decompresses or allocates anything the model does not need."""

from __future__ import annotations

import io
import os
import stat
import struct
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

import nn
from autograd.files import NotARegularFileError


def make_model(seed: int = 0) -> nn.Sequential:
    return nn.feedforward(6, [5, 3], "tanh", rng=seed)  # float32: 0.weight (6, 5), ...


def saved_members(tmp_path: Path, optimizer: bool = False, **metadata) -> dict[str, bytes]:
    """The members of a genuine checkpoint, as ``{name: bytes}``."""
    model = make_model()
    path = tmp_path / "genuine.npz"
    nn.save(model, path, nn.optim.Adam(model.parameters()) if optimizer else None, **metadata)
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_zip(path: Path, members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def npy(shape: tuple[int, ...], dtype: str, body: bytes = b"") -> bytes:
    """A .npy header declaring ``shape`` and ``dtype``, followed by ``body`` (forged freely)."""
    buffer = io.BytesIO()
    header = {
        "descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
        "fortran_order": False,
        "shape": shape,
    }
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue() + body


def forge_size(path: Path, name: str, file_size: int) -> None:
    """Rewrite the uncompressed size the zip records for ``name`` (local and central headers)."""
    content = bytearray(path.read_bytes())
    encoded = name.encode()
    local = content.find(b"PK\x03\x04")
    while local != -1:
        name_length = struct.unpack_from("<H", content, local + 26)[0]
        if content[local + 30 : local + 30 + name_length] == encoded:
            struct.pack_into("<I", content, local + 22, file_size)
        local = content.find(b"PK\x03\x04", local + 4)
    central = content.find(b"PK\x01\x02")
    while central != -1:
        name_length = struct.unpack_from("<H", content, central + 28)[0]
        if content[central + 46 : central + 46 + name_length] == encoded:
            struct.pack_into("<I", content, central + 24, file_size)
        central = content.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(content))


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the zip members that get opened (that is, decompressed)."""
    names: list[str] = []
    real_open = zipfile.ZipFile.open

    def spy(self, name, *args, **kwargs):
        names.append(name.filename if isinstance(name, zipfile.ZipInfo) else name)
        return real_open(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    return names


def load_refused(path: Path, match: str, optimizer: bool = False) -> None:
    model = make_model(1)
    before = model.state_dict()
    tracemalloc.start()
    try:
        with pytest.raises(nn.CheckpointError, match=match):
            nn.load(model, path, nn.optim.Adam(model.parameters()) if optimizer else None)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20, f"refusing {path.name} used {peak} bytes"
    for key, value in before.items():
        np.testing.assert_array_equal(model.state_dict()[key], value)


# ------------------------------------------------------------------------ zip bombs


def test_a_member_declaring_a_trillion_elements_is_refused_not_a_memory_error(
    tmp_path: Path,
) -> None:
    members = saved_members(tmp_path)
    members["model/0.weight.npy"] = npy((10**12,), "<f4", b"\0" * 64)
    path = write_zip(tmp_path / "bomb.npz", members)
    load_refused(path, r"bomb\.npz: model state: '0\.weight' has shape \(1000000000000,\)")


def test_metadata_declaring_a_trillion_elements_is_refused_not_a_memory_error(
    tmp_path: Path,
) -> None:
    members = saved_members(tmp_path, epoch=3)
    members["meta/epoch.npy"] = npy((10**12,), "<f8", b"\0" * 64)
    path = write_zip(tmp_path / "bomb.npz", members)
    load_refused(path, r"'meta/epoch\.npy' declares shape \(1000000000000,\).*8000000000000 bytes")


def test_an_extra_3_gib_member_is_refused_without_decompressing_it(
    tmp_path: Path, opened: list[str]
) -> None:
    members = saved_members(tmp_path)
    members["payload.bin"] = b"\0" * 2**20  # deflates to about 1 kB
    path = write_zip(tmp_path / "bomb.npz", members, zipfile.ZIP_DEFLATED)
    forge_size(path, "payload.bin", 3 * 2**30)
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("payload.bin").file_size == 3 * 2**30
    assert path.stat().st_size < 64 * 2**10
    opened.clear()
    load_refused(path, r"bomb\.npz: holds members a checkpoint does not have \('payload\.bin'\)")
    assert "payload.bin" not in opened


def test_a_member_larger_than_its_header_declares_is_refused_unread(
    tmp_path: Path, opened: list[str]
) -> None:
    members = saved_members(tmp_path)
    path = write_zip(tmp_path / "bomb.npz", members, zipfile.ZIP_DEFLATED)
    forge_size(path, "model/2.bias.npy", 3 * 2**30)  # the shape is right, the size is not
    opened.clear()
    load_refused(path, r"'model/2\.bias\.npy' declares shape \(3,\).*12 bytes of data")
    assert opened.count("model/2.bias.npy") == 1  # its header only; no array was read
    assert "model/0.weight.npy" not in opened[opened.index("model/2.bias.npy") :]


def test_more_metadata_than_the_limit_is_refused_before_decompressing(
    tmp_path: Path, opened: list[str]
) -> None:
    members = saved_members(tmp_path)
    count = nn.checkpoint.MAX_METADATA_BYTES // 8 + 1
    members["meta/history.npy"] = npy((count,), "<f8", b"\0" * 1024)
    path = write_zip(tmp_path / "bomb.npz", members, zipfile.ZIP_DEFLATED)
    forge_size(path, "meta/history.npy", len(npy((count,), "<f8")) + 8 * count)
    load_refused(path, r"metadata declares more than 67108864 bytes")


def test_an_unknown_small_member_is_refused(tmp_path: Path) -> None:
    members = saved_members(tmp_path)
    members["notes.txt"] = b"hello"
    load_refused(write_zip(tmp_path / "m.npz", members), r"members a checkpoint does not have")


def test_a_duplicated_member_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "twice.npz"
    members = saved_members(tmp_path)
    write_zip(path, members)
    with (
        pytest.warns(UserWarning, match="Duplicate name"),
        zipfile.ZipFile(path, "a") as archive,
    ):
        archive.writestr("model/0.bias.npy", members["model/0.bias.npy"])
    load_refused(path, r"'model/0\.bias\.npy' appears twice")


# -------------------------------------------------------------------- forged headers


def test_an_object_array_is_refused_and_never_unpickled(tmp_path: Path) -> None:
    members = saved_members(tmp_path)
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.array([print, 1], dtype=object), allow_pickle=True)
    members["model/2.bias.npy"] = buffer.getvalue()
    load_refused(write_zip(tmp_path / "m.npz", members), r"declares dtype object")
    members["model/2.bias.npy"] = npy((3,), "|O", b"x" * 24)
    load_refused(write_zip(tmp_path / "m.npz", members), r"declares dtype object")


def test_object_metadata_is_refused(tmp_path: Path) -> None:
    members = saved_members(tmp_path, epoch=1)
    members["meta/epoch.npy"] = npy((), "|O", b"\0" * 8)
    load_refused(write_zip(tmp_path / "m.npz", members), r"declares dtype object")


def test_a_member_that_is_not_an_npy_array_is_refused(tmp_path: Path) -> None:
    members = saved_members(tmp_path)
    members["model/0.bias.npy"] = b"not an array at all"
    load_refused(write_zip(tmp_path / "m.npz", members), r"'model/0\.bias\.npy' is not a \.npy")


def test_a_huge_header_is_refused(tmp_path: Path) -> None:
    members = saved_members(tmp_path)
    members["model/0.bias.npy"] = b"\x93NUMPY\x02\x00" + (2**31).to_bytes(4, "little")
    load_refused(write_zip(tmp_path / "m.npz", members), r"2147483648-byte header")


def test_a_damaged_header_is_a_checkpoint_error(tmp_path: Path) -> None:
    members = saved_members(tmp_path)
    header = b"{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }" + b" " * 5 + b"\n"
    members["model/0.bias.npy"] = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little")
    members["model/0.bias.npy"] += header.replace(b"(5,)", b"[5]")
    load_refused(write_zip(tmp_path / "m.npz", members), r"truncated or corrupt")


def test_an_optimizer_type_that_is_not_a_short_string_is_refused(tmp_path: Path) -> None:
    members = saved_members(tmp_path, optimizer=True)
    members["optimizer/type.npy"] = npy((10**9,), "<U4", b"Adam")
    load_refused(
        write_zip(tmp_path / "m.npz", members), "optimizer/type is not a short", optimizer=True
    )


def test_a_checkpoint_holding_nan_weights_loads_them(tmp_path: Path) -> None:
    model = make_model()
    model[2].bias.data[1] = np.nan
    nn.save(model, tmp_path / "m.npz")
    fresh = make_model()
    nn.load(fresh, tmp_path / "m.npz")
    assert np.isnan(fresh[2].bias.data[1])


# ------------------------------------------------------------ genuine files still load


def test_a_recompressed_checkpoint_with_optimizer_and_metadata_loads(tmp_path: Path) -> None:
    members = saved_members(tmp_path, optimizer=True, epoch=4, losses=[0.5, 0.25], note="x")
    path = write_zip(tmp_path / "deflated.npz", members, zipfile.ZIP_DEFLATED)
    model = make_model(1)
    metadata = nn.load(model, path, nn.optim.Adam(model.parameters()))
    assert metadata["epoch"] == 4 and metadata["note"] == "x"
    np.testing.assert_array_equal(metadata["losses"], [0.5, 0.25])
    np.testing.assert_array_equal(model[0].weight.data, make_model(0)[0].weight.data)


def test_loading_only_the_model_never_decompresses_the_optimizer_state(
    tmp_path: Path, opened: list[str]
) -> None:
    path = write_zip(tmp_path / "m.npz", saved_members(tmp_path, optimizer=True))
    opened.clear()
    nn.load(make_model(1), path)
    assert opened and not [name for name in opened if name.startswith("optimizer/")]


def test_each_array_is_read_once_after_all_headers_are_checked(
    tmp_path: Path, opened: list[str]
) -> None:
    path = write_zip(tmp_path / "m.npz", saved_members(tmp_path))
    opened.clear()
    nn.load(make_model(1), path)
    weights = [name for name in opened if name.startswith("model/")]
    assert len(weights) == 8  # four headers, then four arrays
    assert weights[:4] == weights[4:]


# ---------------------------------------------------------------------- saving safely


def test_saving_to_a_fifo_is_refused_instead_of_blocking_or_replacing_it(tmp_path: Path) -> None:
    fifo = tmp_path / "checkpoint.npz"
    os.mkfifo(fifo)
    with pytest.raises(NotARegularFileError, match="FIFO"):
        nn.save(make_model(), fifo)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_saving_through_a_symlink_updates_its_target(tmp_path: Path) -> None:
    (tmp_path / "runs").mkdir()
    (tmp_path / "latest.npz").symlink_to(tmp_path / "runs" / "epoch3.npz")
    nn.save(make_model(2), tmp_path / "latest.npz")
    assert (tmp_path / "latest.npz").is_symlink()
    restored = make_model(1)
    nn.load(restored, tmp_path / "runs" / "epoch3.npz")
    np.testing.assert_array_equal(restored[0].weight.data, make_model(2)[0].weight.data)


# ------------------------------------------------------------ not a file at all


def test_loading_from_a_fifo_is_refused_at_once_rather_than_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "checkpoint.npz"
    os.mkfifo(fifo)  # nobody writes to it: an open without O_NONBLOCK would wait forever
    with pytest.raises(nn.checkpoint.CheckpointError, match=r"is a FIFO .*written by nn\.save"):
        nn.load(make_model(), fifo)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_loading_from_a_directory_names_it_a_directory(tmp_path: Path) -> None:
    with pytest.raises(nn.checkpoint.CheckpointError, match=r"is a directory"):
        nn.load(make_model(), tmp_path)
