"""The no-show model as pure functions: visits -> history counts -> features -> fitted
trees -> calibrated risk. Nothing here touches the database; analytics.noshow reads the
rows and stores the model, analytics.prediction scores a booking.
"""
