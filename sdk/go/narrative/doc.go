// Re-run Narrative I/O jobs when their triggers change.
package narrative
