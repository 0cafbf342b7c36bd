"""`edgecnn.cpuinfo`: the host's CPU and its int8-relevant instruction set, from /proc/cpuinfo text."""

from __future__ import annotations

import pytest

from edgecnn.cpuinfo import cpu_info, describe_isa, parse_cpuinfo

SAPPHIRE_RAPIDS = """processor\t: 0
vendor_id\t: GenuineIntel
cpu family\t: 6
model\t\t: 143
model name\t: Intel(R) Xeon(R) Platinum 8480+
flags\t\t: fpu vme sse sse2 avx avx2 fma avx512f avx512bw avx512vl avx512_vnni avx_vnni avx512_bf16 amx_bf16 amx_tile amx_int8

processor\t: 1
vendor_id\t: GenuineIntel
model name\t: Some Other Name
flags\t\t: fpu sse
"""

EPYC = """processor : 0
vendor_id : AuthenticAMD
cpu family : 25
model : 17
model name : AMD EPYC 9R14 96-Core Processor
flags : fpu sse2 avx avx2 fma avx512f avx512bw avx512_vnni avx512_bf16
"""

HASWELL = """processor\t: 0
model name\t: Intel(R) Xeon(R) CPU E5-2680 v3 @ 2.50GHz
flags\t\t: fpu sse sse2 avx avx2 fma
"""

GRAVITON = """processor\t: 0
BogoMIPS\t: 243.75
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm asimddp i8mm bf16
CPU implementer\t: 0x41
CPU architecture: 8
CPU part\t: 0xd40
"""


def test_sapphire_rapids_names_amx_and_reads_the_first_processor_only():
    info = parse_cpuinfo(SAPPHIRE_RAPIDS)
    assert info["model"] == "Intel(R) Xeon(R) Platinum 8480+"
    assert info["vendor"] == "GenuineIntel" and info["family"] == "6" and info["model_number"] == "143"
    assert info["isa"] == ["AVX2", "AVX-512", "AVX-512 VNNI", "AVX-VNNI", "AMX-INT8", "AMX-BF16"]
    assert info["features"]["amx_int8"] and not info["features"]["i8mm"]


def test_epyc_has_vnni_and_no_amx():
    info = parse_cpuinfo(EPYC)
    assert info["model"] == "AMD EPYC 9R14 96-Core Processor"
    assert info["isa"] == ["AVX2", "AVX-512", "AVX-512 VNNI"]
    assert describe_isa(info) == "AVX2, AVX-512, AVX-512 VNNI"


def test_avx2_only():
    info = parse_cpuinfo(HASWELL)
    assert info["isa"] == ["AVX2"] and info["features"]["avx512_vnni"] is False


def test_arm_features_and_a_name_from_the_part_numbers():
    info = parse_cpuinfo(GRAVITON)
    assert info["isa"] == ["NEON dot product", "Arm I8MM"]
    assert "0x41" in info["model"] and "0xd40" in info["model"]


def test_no_flags_is_unknown_not_none_present():
    info = parse_cpuinfo("processor : 0\nmodel name : Mystery CPU\n")
    assert info["isa"] is None and info["features"] is None and describe_isa(info) == "unknown"
    assert describe_isa(parse_cpuinfo("model name : Old\nflags : fpu sse\n")).startswith("no AVX2")


def test_without_proc_cpuinfo_the_platform_names_the_cpu(tmp_path, monkeypatch):
    import platform

    monkeypatch.setattr(platform, "processor", lambda: "arm")
    info = cpu_info(str(tmp_path / "missing"))
    assert info["model"] == "arm" and info["isa"] is None


@pytest.mark.skipif(not __import__("os").path.exists("/proc/cpuinfo"), reason="Linux only")
def test_this_host_has_a_name():
    info = cpu_info()
    assert info["model"] and isinstance(info["isa"], list)
