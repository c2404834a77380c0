# ---
# description: FFT of a two-tone signal with numpy; the two strongest frequencies are known
# requires: [numpy]
# tags: [cpu, data]
# ---

# %% Signal expect_stdout="samples: 1000"
import numpy as np

rate = 1000  # samples per second, over one second
t = np.arange(rate) / rate
signal = np.sin(2 * np.pi * 50 * t) + 0.5 * np.sin(2 * np.pi * 120 * t)
print(f"samples: {signal.size}")

# %% Peaks expect_result={"peak_hz": 50.0, "second_hz": 120.0}
spectrum = np.abs(np.fft.rfft(signal))
freqs = np.fft.rfftfreq(signal.size, d=1 / rate)
first, second = np.argsort(spectrum)[::-1][:2]
# float() turns numpy scalars into plain numbers, which every backend serialises as JSON.
{"peak_hz": float(freqs[first]), "second_hz": float(freqs[second])}
