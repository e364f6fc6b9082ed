"""Starts the installed peft4j kernel, interrupts an endless loop, checks the kernel lives on.

Run by tests/notebooks/run.sh with JUPYTER_PATH pointing at the temp kernel install."""
import sys
import threading
import time

from jupyter_client.manager import start_new_kernel

km, kc = start_new_kernel(kernel_name="peft4j", startup_timeout=120)
try:
    kc.execute_interactive("long spins = 0;", timeout=60, output_hook=lambda msg: None)
    replies = {}

    def run_loop():
        replies["loop"] = kc.execute_interactive("while (true) { spins++; }", timeout=60,
                                                 output_hook=lambda msg: None)

    runner = threading.Thread(target=run_loop)
    runner.start()
    time.sleep(3)
    km.interrupt_kernel()
    runner.join(timeout=60)
    loop = replies.get("loop")
    if loop is None or loop["content"]["status"] != "error" or loop["content"]["ename"] != "Interrupted":
        print("FAIL: the loop was not interrupted:", loop and loop["content"])
        sys.exit(1)
    outputs = []
    after = kc.execute_interactive("spins > 0", timeout=60,
                                   output_hook=lambda msg: outputs.append(msg))
    values = [m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"]
    if after["content"]["status"] != "ok" or values != ["true"]:
        print("FAIL: kernel unusable after interrupt:", after["content"], values)
        sys.exit(1)
    print("interrupt check: endless loop stopped, kernel state kept (spins > 0 is true)")
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=True)
