"""`archlab classroom`: every registered architecture live, side by side, in one page.

`session` starts the panels (one running `System` each, via the registry) and their steady traffic;
`ticker` turns them into one snapshot per tick; `server` pushes it to every viewer (Server-Sent
Events) and takes the instructor's controls, which `controls` runs through the System contract.
`recording` writes and replays the same frames, so a recorded demo plays in the same page.
"""
