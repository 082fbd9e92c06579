"""Sign-in, sign-out, language choice, access rules, and the ``flask users`` commands."""
