"""Voice callbacks: a customer asks to be called; the ACD gives the call to an agent; a dialer places it."""
