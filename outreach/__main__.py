from outreach.cli import main

# Guarded: a helper process (outreach.sending.sharing) imports this module again under another name.
if __name__ == "__main__":
    main()
