"""`gmail-tickets bench chaos`: the product under faults, checked against ground truth.

The soak runs the product as processes it can kill (the cloud flavour: functions-framework serving two ingest,
two send and one sweep instance on the Firestore and Pub/Sub emulators; the embedded flavour: `gmail-tickets
serve`), feeds mail through the Gmail simulator while it injects faults (SIGKILLs, Gmail 5xx/429 and latency,
push delayed and dropped, a Pub/Sub emulator restart, the relay down, a send limit crossed), lets it settle, then
counts from the simulator's mailboxes and SENT folders and the relay's deliveries that every mail became exactly
one ticket or comment and every acknowledgement went out once.
"""
