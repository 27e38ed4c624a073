"""What a node operator sees in the terminal while `gradchain node run` works (issue 16): one readable line per
event (lines.py), a live panel of the current activity and the next window (panel.py, live.py), plain lines
for files and pipes (sink.py), stall reports (stalls.py) and earnings net of gas (earnings.py).

The modules above are pure; session.py is the shell that feeds them from the running node and attach.py wires
it in. None of them reads the chain: they render what the node already fetched."""
