# ---
# description: Read an uploaded file, write new files in the working directory, download them
# files: [greeting.txt]
# downloads:
#   - name: report.txt
#     contains: "greeting: hello from the harness"
#   - name: bytes.bin
# tags: [files, io]
# ---

# %% Read the upload expect_result="hello from the harness"
# Uploads land in the session's working directory, so a relative path finds them.
with open("greeting.txt", encoding="utf-8") as f:
    greeting = f.read().strip()
greeting

# %% Write expect_stdout="wrote 2 files"
with open("report.txt", "w", encoding="utf-8") as f:
    f.write(f"greeting: {greeting}\nlength: {len(greeting)}\n")
with open("bytes.bin", "wb") as f:
    f.write(bytes(range(256)) * 4)  # every byte value: catches text-mode transfers
print("wrote 2 files")

# %% Read back expect_result={"report": true, "bytes": 1024}
import os

{"report": os.path.isfile("report.txt"), "bytes": os.path.getsize("bytes.bin")}
