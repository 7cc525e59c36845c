// Re-run a Narrative I/O data job from a Pulumi deployment when its triggers change.
package narrative
