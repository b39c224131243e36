"""The web gateway: resident widget and WebSocket, agent console, in front of Rasa's REST channel."""
