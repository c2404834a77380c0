# ---
# description: Check that code cannot reach the network; an isolated sandbox has no route out
# isolation: required
# tags: [security]
# timeout: 15
# ---

# %% Probe expect_stdout="egress blocked"
# First the interfaces: a sandbox whose network namespace has nothing but loopback cannot reach
# anything, and then no packet is sent at all. Only when other interfaces exist is an outbound
# TCP connection tried, under a short deadline (a sandbox that drops packets would otherwise
# hang the cell). No DNS lookup: a resolver query would leave the sandbox even when blocked.
import socket

interfaces = [name for _, name in socket.if_nameindex() if name != "lo"]
if not interfaces:
    print("egress blocked: no network interface besides loopback")
else:
    try:
        with socket.create_connection(("1.1.1.1", 53), timeout=2):
            print("egress possible: TCP connected to 1.1.1.1:53 via", ", ".join(interfaces))
    except OSError as error:
        print("egress blocked:", type(error).__name__)
